// The caller's identity, passed on to the server: the subject of the client
// certificate the gateway verified (-tls_client_ca) goes out as the gRPC
// metadata x-client-subject, which a server believes from a peer it lists in
// --trusted_proxies (the gateway's -backend_cert) and from no one else.
package gateway

import (
	"context"
	"net/http"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/runtime"
	"google.golang.org/grpc/metadata"
)

// clientSubjectKey is the metadata the server reads (server/process/client_subject.h).
const clientSubjectKey = "x-client-subject"

// isClientSubjectHeader: the HTTP header grpc-gateway would turn into
// x-client-subject (Grpc-Metadata-X-Client-Subject). A caller must never set
// it: the server would take it as the gateway's word.
func isClientSubjectHeader(key string) bool {
	return strings.EqualFold(key, runtime.MetadataHeaderPrefix+clientSubjectKey)
}

// clientSubject is the metadata of a request: x-client-subject with the
// verified certificate's subject ("CN=client-a,O=Example", RFC 2253 as the
// server prints its own peers'), or nothing for a caller without one.
func clientSubject(_ context.Context, r *http.Request) metadata.MD {
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || len(r.TLS.VerifiedChains[0]) == 0 {
		return nil
	}
	return metadata.Pairs(clientSubjectKey, r.TLS.VerifiedChains[0][0].Subject.String())
}
