package gateway_test

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// selfSigned makes a certificate for 127.0.0.1/localhost with openssl, now.
func selfSigned(t *testing.T) (cert, key string) {
	t.Helper()
	dir := t.TempDir()
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	out, err := exec.Command("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
		"-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost",
		"-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost").CombinedOutput()
	if err != nil {
		t.Fatalf("openssl: %v\n%s", err, out)
	}
	return cert, key
}

func TestTLSEndToEndAndBearerTokens(t *testing.T) {
	cert, key := selfSigned(t)
	const token = "s3cret-token"
	server := start(t, "server", binary(t, serverEnv), "--listen=127.0.0.1:0",
		"--data_dir="+filepath.Join(t.TempDir(), "data"), "--durability=nosync",
		"--tls_cert="+cert, "--tls_key="+key, "--auth_token="+token)
	gw := start(t, "gateway", binary(t, gatewayEnv), "--listen=127.0.0.1:0",
		"--backend="+server.addr(), "--backend_ca="+cert, "--tls_cert="+cert, "--tls_key="+key)
	base := "https://" + gw.addr()

	pem, err := os.ReadFile(cert)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	https := &http.Client{Timeout: 30 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	do := func(method, path, auth, body string) (int, map[string]interface{}) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := https.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var m map[string]interface{}
		_ = json.Unmarshal(raw, &m)
		return resp.StatusCode, m
	}

	if code, body := do("GET", "/api/permits", "", ""); code != 401 || !strings.Contains(str(body, "message"), "bearer token") {
		t.Errorf("no token: %d %v", code, body)
	}
	if code, body := do("GET", "/api/permits", "Bearer wrong", ""); code != 401 || str(body, "status") != "UNAUTHENTICATED" {
		t.Errorf("wrong token: %d %v", code, body)
	}
	if code, body := do("POST", "/api/permits", "", `{"client": "Sneaky"}`); code != 401 {
		t.Errorf("a write without a token: %d %v", code, body)
	}
	code, stored := do("POST", "/api/permits", "Bearer "+token, `{"client": "Acme"}`)
	if code != 200 || str(stored, "uuid") == "" {
		t.Fatalf("with the token: %d %v", code, stored)
	}
	if code, page := do("GET", "/api/permits", "Bearer "+token, ""); code != 200 || len(list(page, "permits")) != 1 {
		t.Errorf("the refused write was stored, or the read failed: %d %v", code, page)
	}
	if code, body := do("GET", "/healthz", "", ""); code != 200 || str(body, "status") != "SERVING" {
		t.Errorf("health is open: %d %v", code, body)
	}
	// Plain HTTP to the HTTPS port is refused.
	if resp, err := http.Get("http://" + gw.addr() + "/healthz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Errorf("plain HTTP to the TLS gateway: %d", resp.StatusCode)
		}
	}
	// A gateway that does not trust the server's certificate cannot reach it.
	untrusting := start(t, "gateway", binary(t, gatewayEnv), "--listen=127.0.0.1:0",
		"--backend="+server.addr(), "--backend_wait=300ms")
	fails(t, 503, "GET", "http://"+untrusting.addr()+"/api/permits", "")
}

func TestTLSFlagsAreChecked(t *testing.T) {
	for _, c := range []struct {
		bin     string
		args    []string
		mention string
	}{
		{serverEnv, []string{"--tls_cert=/nonexistent.pem", "--tls_key=/nonexistent.pem",
			"--data_dir=" + t.TempDir()}, "--tls_cert"},
		{serverEnv, []string{"--tls_cert=/x.pem"}, "--tls_key"},
		{gatewayEnv, []string{"--tls_cert=/nonexistent.pem", "--tls_key=/nonexistent.pem"}, "-tls_cert"},
		{gatewayEnv, []string{"--tls_key=/x.pem"}, "-tls_cert"},
	} {
		out, err := runBinary(t, binary(t, c.bin), c.args...)
		if err == nil || !strings.Contains(out, c.mention) {
			t.Errorf("%v: err %v, output does not name %s:\n%s", c.args, err, c.mention, out)
		}
	}
}
