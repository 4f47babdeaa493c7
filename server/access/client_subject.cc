#include "server/access/client_subject.h"

#include <algorithm>

#include "grpc/grpc_security_constants.h"
#include "grpcpp/security/auth_context.h"

namespace lmdbapi::server {

std::string ClientSubject(const grpc::ServerContextBase& context,
                          const std::vector<std::string>& trusted_proxies) {
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth == nullptr) return "";
  std::vector<grpc::string_ref> subjects =
      auth->FindPropertyValues(GRPC_X509_SUBJECT_PROPERTY_NAME);
  if (subjects.empty()) return "";
  std::string peer(subjects.front().data(), subjects.front().size());
  if (std::find(trusted_proxies.begin(), trusted_proxies.end(), peer) ==
      trusted_proxies.end()) {
    return peer;
  }
  // A proxy sends the subject of its caller, or nothing for a caller that
  // presented no certificate. Such a call is anonymous rather than the
  // proxy's own: anyone who can reach the proxy would otherwise act as it.
  const auto& metadata = context.client_metadata();
  auto vouched = metadata.find(grpc::string_ref(kClientSubjectMetadata.data(),
                                                kClientSubjectMetadata.size()));
  if (vouched == metadata.end()) return "";
  return std::string(vouched->second.data(), vouched->second.size());
}

}  // namespace lmdbapi::server
