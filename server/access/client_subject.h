// Who a call comes from by TLS: the subject of the client certificate the
// handshake verified (--tls_client_ca), or the caller a trusted proxy (such
// as the gateway, --trusted_proxies) vouches for in x-client-subject.
#ifndef LMDBAPI_SERVER_ACCESS_CLIENT_SUBJECT_H_
#define LMDBAPI_SERVER_ACCESS_CLIENT_SUBJECT_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "grpcpp/server_context.h"

namespace lmdbapi::server {

// The metadata a trusted proxy puts its own verified caller's subject in.
inline constexpr absl::string_view kClientSubjectMetadata = "x-client-subject";

// The subject of the call's verified client certificate, as gRPC prints it
// (RFC 2253: "CN=client-a,O=Example"); when that subject is one of
// trusted_proxies and the call carries x-client-subject, that value instead
// (from any other peer x-client-subject is ignored), or empty if it carries
// none (the proxy's caller presented no certificate). Empty when the peer
// presented no certificate: plaintext, or TLS without --tls_client_ca.
std::string ClientSubject(const grpc::ServerContextBase& context,
                          const std::vector<std::string>& trusted_proxies);

}  // namespace lmdbapi::server

#endif  // LMDBAPI_SERVER_ACCESS_CLIENT_SUBJECT_H_
