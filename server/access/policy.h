// The access policy of --auth_policy (proto/lmdbapi/policy.proto): roles
// grant read, write or admin on tables; bindings give identities roles. An
// identity may do what one of its roles grants, nothing else.
#ifndef LMDBAPI_SERVER_ACCESS_POLICY_H_
#define LMDBAPI_SERVER_ACCESS_POLICY_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/lmdbapi/policy.pb.h"
#include "server/access/identity.h"
#include "server/access/permission.h"

namespace lmdbapi::server::access {

class Policy {
 public:
  // The policy in the JSON text (of --auth_policy); INVALID_ARGUMENT naming
  // the field ("roles[1].grants[0].tables[0]: no table 'permit'") when it
  // does not parse or names what is not there. `tables`: the schema's
  // collection names, which grants may name (besides "*").
  static absl::StatusOr<Policy> Parse(absl::string_view json,
                                      const std::vector<std::string>& tables);

  // OK when a role of `identity` grants `permission` on `table` (kEveryTable:
  // a grant on "*"); PERMISSION_DENIED naming identity, roles, permission
  // and table otherwise.
  absl::Status Check(const Identity& identity, absl::string_view table,
                     Permission permission) const;

 private:
  explicit Policy(policy::v1::Policy proto) : policy_(std::move(proto)) {}
  // The names of the roles bound to `identity`.
  std::vector<std::string> RolesOf(const Identity& identity) const;
  bool Grants(const std::string& role, absl::string_view table,
              Permission permission) const;

  policy::v1::Policy policy_;
};

}  // namespace lmdbapi::server::access

#endif  // LMDBAPI_SERVER_ACCESS_POLICY_H_
