// Combining the credentials (static token, JWT, client certificate) and the
// policy into the one check each service makes.
#include "server/access/access.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "server/access/client_subject.h"

namespace lmdbapi::server::access {

bool SameSecret(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

absl::StatusOr<std::unique_ptr<Access>> Access::Create(Options options) {
  auto access = std::make_unique<Access>();
  access->static_token_ = std::move(options.static_token);
  access->trusted_proxies_ = std::move(options.trusted_proxies);
  if (!options.jwks_file.empty()) {
    TokenVerifier::Options verifier;
    verifier.jwks_file = options.jwks_file;
    verifier.issuer = options.jwt_issuer;
    verifier.audience = options.jwt_audience;
    LMDBAPI_ASSIGN_OR_RETURN(access->verifier_,
                             TokenVerifier::Create(std::move(verifier)));
  } else if (!options.jwt_issuer.empty() || !options.jwt_audience.empty()) {
    return absl::InvalidArgumentError(
        "--jwt_issuer and --jwt_audience need --jwks_file (the keys)");
  }
  if (!options.policy_file.empty()) {
    std::vector<std::string> tables = options.tables;
    LMDBAPI_ASSIGN_OR_RETURN(access->policy_,
                             WatchedFile<Policy>::Open(
                                 "--auth_policy", options.policy_file,
                                 [tables](const std::string& text) {
                                   return Policy::Parse(text, tables);
                                 },
                                 absl::Now()));
  }
  return access;
}

bool Access::enabled() const {
  return !static_token_.empty() || verifier_ != nullptr || policy_ != nullptr;
}

absl::StatusOr<Identity> Access::Bearer(absl::string_view token,
                                        absl::Time now) const {
  if (!static_token_.empty() && SameSecret(token, static_token_)) {
    Identity identity;
    identity.subject = std::string(kStaticTokenSubject);
    return identity;
  }
  if (verifier_ != nullptr && absl::StrContains(token, '.')) {
    return verifier_->Verify(token, now);
  }
  return absl::UnauthenticatedError("the bearer token is not valid");
}

absl::StatusOr<Identity> Access::Authenticate(
    std::optional<absl::string_view> authorization,
    absl::string_view certificate_subject, absl::Time now) const {
  if (authorization.has_value()) {
    constexpr absl::string_view kBearer = "Bearer ";
    if (!absl::StartsWith(*authorization, kBearer)) {
      return absl::UnauthenticatedError(
          "the authorization metadata is not 'Bearer <token>'");
    }
    return Bearer(authorization->substr(kBearer.size()), now);
  }
  if (!certificate_subject.empty()) {
    Identity identity;
    identity.kind = Identity::Kind::kCertificate;
    identity.subject = std::string(certificate_subject);
    return identity;
  }
  return absl::UnauthenticatedError(
      "this server requires a bearer token: send metadata "
      "'authorization: Bearer <token>' (HTTP: an Authorization header)");
}

absl::StatusOr<Identity> Access::Authenticate(
    const grpc::ServerContextBase& context) const {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  std::optional<absl::string_view> authorization;
  if (it != metadata.end()) {
    authorization = absl::string_view(it->second.data(), it->second.size());
  }
  return Authenticate(authorization, ClientSubject(context, trusted_proxies_));
}

absl::Status Access::Permit(const Identity& identity, absl::string_view table,
                            Permission permission) const {
  if (policy_ == nullptr) return absl::OkStatus();
  return policy_->Current(absl::Now())->Check(identity, table, permission);
}

absl::Status Access::Allow(const grpc::ServerContextBase& context,
                           absl::string_view table,
                           Permission permission) const {
  if (!enabled()) return absl::OkStatus();
  LMDBAPI_ASSIGN_OR_RETURN(Identity identity, Authenticate(context));
  return Permit(identity, table, permission);
}

}  // namespace lmdbapi::server::access
