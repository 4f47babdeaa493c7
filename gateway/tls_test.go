package gateway

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// writePair writes a self-signed certificate named cn and its key to
// dir/name.crt and dir/name.key; returns the two paths.
func writePair(t *testing.T, dir, name, cn string) (string, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	template := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject: pkix.Name{CommonName: cn}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

func commonName(t *testing.T, c *tls.Certificate) string {
	t.Helper()
	leaf, err := x509.ParseCertificate(c.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	return leaf.Subject.CommonName
}

// replace moves src over dst (as a rotation does) and moves dst's mtime on,
// so that a change within the file system's timestamp granularity shows.
func replace(t *testing.T, src, dst string, mtime time.Time) {
	t.Helper()
	if err := os.Rename(src, dst); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(dst, mtime, mtime); err != nil {
		t.Fatal(err)
	}
}

func TestKeyPairFilesReloadChangedFilesAtMostOncePerSecond(t *testing.T) {
	dir := t.TempDir()
	cert, key := writePair(t, dir, "served", "first")
	files, err := newKeyPairFiles(cert, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	clock := files.checkedAt
	files.now = func() time.Time { return clock }
	newCert, newKey := writePair(t, dir, "next", "second")
	later := time.Now().Add(time.Minute)
	replace(t, newKey, key, later)
	replace(t, newCert, cert, later)

	if got := commonName(t, files.current()); got != "first" {
		t.Errorf("within a second of the last look: %q, want the pair loaded (first)", got)
	}
	clock = clock.Add(reloadEvery)
	if got := commonName(t, files.current()); got != "second" {
		t.Errorf("after a second: %q, want the new pair (second)", got)
	}
}

func TestKeyPairFilesKeepTheLastGoodPairWhileANewOneDoesNotMatch(t *testing.T) {
	dir := t.TempDir()
	cert, key := writePair(t, dir, "served", "first")
	files, err := newKeyPairFiles(cert, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	clock := files.checkedAt
	files.now = func() time.Time { return clock }
	newCert, newKey := writePair(t, dir, "next", "second")
	replace(t, newCert, cert, time.Now().Add(time.Minute)) // the key not yet
	clock = clock.Add(reloadEvery)
	if got := commonName(t, files.current()); got != "first" {
		t.Errorf("certificate without its key: %q, want the last good pair (first)", got)
	}
	replace(t, newKey, key, time.Now().Add(2*time.Minute))
	clock = clock.Add(reloadEvery)
	if got := commonName(t, files.current()); got != "second" {
		t.Errorf("once the key follows: %q, want second", got)
	}
}

func TestServerTLSRequiresTLS12AndClientCertificatesWithAClientCA(t *testing.T) {
	dir := t.TempDir()
	cert, key := writePair(t, dir, "served", "gateway")
	config, err := ServerTLS(Config{TLSCert: cert, TLSKey: key}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if config.MinVersion != tls.VersionTLS12 || config.ClientAuth != tls.NoClientCert {
		t.Errorf("without -tls_client_ca: MinVersion %x, ClientAuth %v", config.MinVersion, config.ClientAuth)
	}
	ca, _ := writePair(t, dir, "ca", "client CA")
	config, err = ServerTLS(Config{TLSCert: cert, TLSKey: key, TLSClientCA: ca}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if config.ClientAuth != tls.RequireAndVerifyClientCert || config.ClientCAs == nil {
		t.Errorf("with -tls_client_ca: ClientAuth %v", config.ClientAuth)
	}
	if _, err := ServerTLS(Config{TLSCert: cert, TLSKey: key, TLSClientCA: key}, nil); err == nil {
		t.Error("a -tls_client_ca holding no certificate was accepted")
	}
}

func TestParseConfigChecksTheTLSFlagsThatGoTogether(t *testing.T) {
	for _, args := range [][]string{
		{"-tls_client_ca=ca.pem"},
		{"-backend_ca=ca.pem", "-backend_cert=c.pem"},
		{"-backend_cert=c.pem", "-backend_key=k.pem"},
	} {
		if _, err := ParseConfig("gw", args, func(string) string { return "" }, nil); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
	c, err := ParseConfig("gw", []string{"-backend_ca=ca.pem", "-backend_cert=c.pem",
		"-backend_key=k.pem"}, func(string) string { return "" }, nil)
	if err != nil || c.BackendCert != "c.pem" || c.BackendKey != "k.pem" {
		t.Errorf("backend client certificate: %+v, %v", c, err)
	}
}
