// The client certificate's subject from gRPC's auth context properties.
#include "server/access/certificate_identity.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "grpc/grpc_security_constants.h"

namespace lmdbapi::server::access {
namespace {

// The first value of `property`, or empty.
std::string First(const grpc::AuthContext& peer, const char* property) {
  std::vector<grpc::string_ref> values = peer.FindPropertyValues(property);
  if (values.empty()) return "";
  return std::string(values[0].data(), values[0].size());
}

}  // namespace

std::optional<Identity> CertificateIdentity(const grpc::AuthContext& peer) {
  std::string subject = First(peer, GRPC_X509_SUBJECT_PROPERTY_NAME);
  if (subject.empty()) {
    std::string name = First(peer, GRPC_X509_CN_PROPERTY_NAME);
    if (name.empty()) return std::nullopt;
    subject = absl::StrCat("CN=", name);
  }
  Identity identity;
  identity.kind = Identity::Kind::kCertificate;
  identity.subject = std::move(subject);
  return identity;
}

}  // namespace lmdbapi::server::access
