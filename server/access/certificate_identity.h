// The identity of a verified client certificate: the peer's subject as the
// TLS layer (server/process/serve.cc, --tls_client_ca) put it in the call's
// auth context. A peer subject is there only when the server asked for a
// client certificate, which it does only to verify it against
// --tls_client_ca; so a subject here is a verified one.
#ifndef LMDBAPI_SERVER_ACCESS_CERTIFICATE_IDENTITY_H_
#define LMDBAPI_SERVER_ACCESS_CERTIFICATE_IDENTITY_H_

#include <optional>

#include "grpcpp/security/auth_context.h"
#include "server/access/identity.h"

namespace lmdbapi::server::access {

// An identity of kind certificate with the peer's "x509_subject" (else its
// "x509_common_name" as "CN=<name>"), or nullopt when the peer showed none.
std::optional<Identity> CertificateIdentity(const grpc::AuthContext& peer);

}  // namespace lmdbapi::server::access

#endif  // LMDBAPI_SERVER_ACCESS_CERTIFICATE_IDENTITY_H_
