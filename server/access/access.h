// Who may call what: authenticates a call (the static --auth_token, a JWT
// verified against --jwks_file, or a verified client certificate) and,
// with --auth_policy, checks that the identity's roles grant the
// permission on the table. Without a policy any authenticated identity may
// do everything; with no credential configured at all, calls are open.
// Health and Admin/Metrics never ask (probes and scrapers send nothing).
#ifndef LMDBAPI_SERVER_ACCESS_ACCESS_H_
#define LMDBAPI_SERVER_ACCESS_ACCESS_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "grpcpp/server_context.h"
#include "server/access/identity.h"
#include "server/access/permission.h"
#include "server/access/policy.h"
#include "server/access/token_verifier.h"
#include "server/access/watched_file.h"

namespace lmdbapi::server::access {

// Whether two secrets are equal, in a time independent of where
// equal-length ones differ.
bool SameSecret(absl::string_view a, absl::string_view b);

class Access {
 public:
  struct Options {
    std::string static_token;  // --auth_token; empty = none
    std::string jwks_file;     // --jwks_file; empty = no JWTs
    std::string jwt_issuer, jwt_audience;
    std::string policy_file;          // --auth_policy; empty = none
    std::vector<std::string> tables;  // the schema's, for the policy
    // --trusted_proxies: peers whose x-client-subject is believed
    // (client_subject.h).
    std::vector<std::string> trusted_proxies;
  };

  // No credentials and no policy: every call is allowed.
  Access() = default;
  // INVALID_ARGUMENT naming the flag and file when a file does not read.
  static absl::StatusOr<std::unique_ptr<Access>> Create(Options options);

  // False when every call is allowed.
  bool enabled() const;
  bool has_policy() const { return policy_ != nullptr; }

  // The caller, or UNAUTHENTICATED saying what is missing or wrong.
  absl::StatusOr<Identity> Authenticate(
      const grpc::ServerContextBase& context) const;
  // The same from the call's "authorization" metadata (nullopt: none) and
  // its verified client certificate's subject (client_subject.h; empty:
  // none).
  absl::StatusOr<Identity> Authenticate(
      std::optional<absl::string_view> authorization,
      absl::string_view certificate_subject,
      absl::Time now = absl::Now()) const;
  // OK when `identity` holds `permission` on `table`, else PERMISSION_DENIED.
  absl::Status Permit(const Identity& identity, absl::string_view table,
                      Permission permission) const;
  // Authenticate, then Permit: OK when the call may go on.
  absl::Status Allow(const grpc::ServerContextBase& context,
                     absl::string_view table, Permission permission) const;

 private:
  // The identity of a bearer token (the static one or a JWT).
  absl::StatusOr<Identity> Bearer(absl::string_view token,
                                  absl::Time now) const;

  std::string static_token_;
  std::vector<std::string> trusted_proxies_;
  std::unique_ptr<TokenVerifier> verifier_;
  std::unique_ptr<WatchedFile<Policy>> policy_;  // re-read when it changes
};

}  // namespace lmdbapi::server::access

#endif  // LMDBAPI_SERVER_ACCESS_ACCESS_H_
