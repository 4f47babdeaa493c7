// TLS of the gateway: HTTPS (and client certificates) for its callers, and
// its own client certificate towards an mTLS backend, each re-read from its
// files when they change, so certificates rotate without a restart.
package gateway

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log"
	"os"
	"sync"
	"time"
)

// reloadEvery bounds how often the files are looked at (their mtimes): at
// most once per interval, on a handshake, never in the background.
const reloadEvery = time.Second

// keyPairFiles is a certificate chain and its key, loaded again when either
// file's modification time or size changes. While a new pair does not load
// (a rotation half written: key and certificate do not match) the last good
// pair keeps being served, and the failure is logged once per change.
type keyPairFiles struct {
	certFile, keyFile string
	logger            *log.Logger
	now               func() time.Time // a variable for the tests

	mu        sync.Mutex
	pair      *tls.Certificate
	stamp     string // mtimes and sizes of the files pair was loaded from
	failed    string // stamp of the last pair that did not load
	checkedAt time.Time
}

// newKeyPairFiles loads the pair once: an error names the files.
func newKeyPairFiles(certFile, keyFile string, logger *log.Logger) (*keyPairFiles, error) {
	k := &keyPairFiles{certFile: certFile, keyFile: keyFile, logger: logger, now: time.Now}
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	k.pair, k.stamp, k.checkedAt = &pair, fileStamp(certFile, keyFile), k.now()
	return k, nil
}

// fileStamp is what changes when a file is replaced or rewritten.
func fileStamp(files ...string) string {
	stamp := ""
	for _, f := range files {
		if info, err := os.Stat(f); err == nil {
			stamp += fmt.Sprintf("%s:%d:%d;", f, info.ModTime().UnixNano(), info.Size())
		} else {
			stamp += f + ":missing;"
		}
	}
	return stamp
}

// current is the pair to present now, reloaded first if the files changed
// (looked at no more than once per reloadEvery).
func (k *keyPairFiles) current() *tls.Certificate {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.now().Sub(k.checkedAt) < reloadEvery {
		return k.pair
	}
	k.checkedAt = k.now()
	stamp := fileStamp(k.certFile, k.keyFile)
	if stamp == k.stamp || stamp == k.failed {
		return k.pair
	}
	pair, err := tls.LoadX509KeyPair(k.certFile, k.keyFile)
	if err != nil {
		k.failed = stamp
		if k.logger != nil {
			k.logger.Printf("TLS files %s, %s changed but do not load (serving the previous pair): %v",
				k.certFile, k.keyFile, err)
		}
		return k.pair
	}
	k.pair, k.stamp, k.failed = &pair, stamp, ""
	if k.logger != nil {
		k.logger.Printf("TLS: reloaded %s", k.certFile)
	}
	return k.pair
}

// certPool reads a PEM file of CA certificates.
func certPool(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificate", file)
	}
	return pool, nil
}

// ServerTLS is the HTTPS configuration of -tls_cert/-tls_key: TLS 1.2 at
// least, the pair re-read when its files change; with -tls_client_ca,
// callers must present a certificate that CA signed.
func ServerTLS(c Config, logger *log.Logger) (*tls.Config, error) {
	pair, err := newKeyPairFiles(c.TLSCert, c.TLSKey, logger)
	if err != nil {
		return nil, fmt.Errorf("-tls_cert/-tls_key: %v", err)
	}
	config := &tls.Config{
		MinVersion: tls.VersionTLS12,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return pair.current(), nil
		},
	}
	if c.TLSClientCA != "" {
		pool, err := certPool(c.TLSClientCA)
		if err != nil {
			return nil, fmt.Errorf("-tls_client_ca: %v", err)
		}
		config.ClientCAs, config.ClientAuth = pool, tls.RequireAndVerifyClientCert
	}
	return config, nil
}

// BackendTLS is the configuration of the connection to the backend: TLS 1.2
// at least, trusting -backend_ca; with -backend_cert/-backend_key, the
// gateway presents that certificate (for a server with --tls_client_ca),
// re-read when its files change.
func BackendTLS(c Config, logger *log.Logger) (*tls.Config, error) {
	pool, err := certPool(c.BackendCA)
	if err != nil {
		return nil, fmt.Errorf("-backend_ca: %v", err)
	}
	config := &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool}
	if c.BackendCert != "" {
		pair, err := newKeyPairFiles(c.BackendCert, c.BackendKey, logger)
		if err != nil {
			return nil, fmt.Errorf("-backend_cert/-backend_key: %v", err)
		}
		config.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return pair.current(), nil
		}
	}
	return config, nil
}
