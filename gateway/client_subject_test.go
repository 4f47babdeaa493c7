package gateway

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"net/http/httptest"
	"testing"
)

func TestACallerCannotSetClientSubject(t *testing.T) {
	for _, key := range []string{"Grpc-Metadata-X-Client-Subject", "grpc-metadata-x-client-subject"} {
		if _, ok := forwardHeaders(key); ok {
			t.Errorf("%s forwarded", key)
		}
	}
	if got, ok := forwardHeaders("Grpc-Metadata-X-Trace"); !ok || got != "X-Trace" {
		t.Errorf("other metadata: %q, %v", got, ok)
	}
}

func TestClientSubjectIsTheVerifiedCertificatesSubject(t *testing.T) {
	r := httptest.NewRequest("GET", "https://gw/api/permits", nil)
	if md := clientSubject(context.Background(), r); md != nil {
		t.Errorf("plain HTTP: %v", md)
	}
	r.TLS = &tls.ConnectionState{}
	if md := clientSubject(context.Background(), r); md != nil {
		t.Errorf("no client certificate: %v", md)
	}
	leaf := &x509.Certificate{Subject: pkix.Name{CommonName: "client-a", Organization: []string{"Example"}}}
	r.TLS.VerifiedChains = [][]*x509.Certificate{{leaf}}
	md := clientSubject(context.Background(), r)
	if got := md.Get(clientSubjectKey); len(got) != 1 || got[0] != "CN=client-a,O=Example" {
		t.Errorf("verified: %v", md)
	}
}
