// Reading and checking the policy file, and deciding a call by it.
#include "server/access/policy.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"
#include "google/protobuf/util/json_util.h"

namespace lmdbapi::server::access {
namespace {

using google::protobuf::RepeatedPtrField;

absl::Status Bad(absl::string_view field, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", why));
}

bool Holds(const RepeatedPtrField<std::string>& list, absl::string_view s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

absl::Status CheckGrant(const policy::v1::Grant& grant,
                        const std::string& where,
                        const std::vector<std::string>& tables) {
  if (grant.tables().empty()) return Bad(where + ".tables", "required");
  if (grant.permissions().empty()) {
    return Bad(where + ".permissions", "required");
  }
  for (int i = 0; i < grant.tables_size(); ++i) {
    const std::string& t = grant.tables(i);
    if (t != kEveryTable &&
        std::find(tables.begin(), tables.end(), t) == tables.end()) {
      return Bad(absl::StrCat(where, ".tables[", i, "]"),
                 absl::StrCat("no table '", t, "' in the schema (tables: ",
                              absl::StrJoin(tables, ", "), ", or \"*\")"));
    }
  }
  for (int i = 0; i < grant.permissions_size(); ++i) {
    if (!PermissionNamed(grant.permissions(i))) {
      return Bad(absl::StrCat(where, ".permissions[", i, "]"),
                 absl::StrCat("'", grant.permissions(i),
                              "' is not a permission; expects read, write "
                              "or admin"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckRoles(const policy::v1::Policy& policy,
                        const std::vector<std::string>& tables) {
  std::set<std::string> names;
  for (int r = 0; r < policy.roles_size(); ++r) {
    const policy::v1::Role& role = policy.roles(r);
    std::string where = absl::StrCat("roles[", r, "]");
    if (role.name().empty() || !names.insert(role.name()).second) {
      return Bad(where + ".name", "required, and unique among the roles");
    }
    for (int g = 0; g < role.grants_size(); ++g) {
      LMDBAPI_RETURN_IF_ERROR(CheckGrant(
          role.grants(g), absl::StrCat(where, ".grants[", g, "]"), tables));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckBinding(const policy::v1::Policy& policy,
                          const policy::v1::Binding& b,
                          const std::string& where) {
  int set =
      !b.subject().empty() + !b.certificate().empty() + !b.claim().empty();
  if (set != 1) {
    return Bad(where, "needs exactly one of subject, certificate or claim");
  }
  if (!b.claim().empty() && b.claim().find('=') == std::string::npos) {
    return Bad(where + ".claim", "expects name=value");
  }
  if (b.roles().empty()) return Bad(where + ".roles", "required");
  for (int i = 0; i < b.roles_size(); ++i) {
    bool known = std::any_of(policy.roles().begin(), policy.roles().end(),
                             [&](const policy::v1::Role& role) {
                               return role.name() == b.roles(i);
                             });
    if (!known) {
      return Bad(absl::StrCat(where, ".roles[", i, "]"),
                 absl::StrCat("no role '", b.roles(i), "' in roles"));
    }
  }
  return absl::OkStatus();
}

// True when `binding` names `identity`.
bool Binds(const policy::v1::Binding& binding, const Identity& identity) {
  bool bearer = identity.kind != Identity::Kind::kCertificate;
  if (!binding.subject().empty()) {
    // "token" is the static token's alone: a JWT whose sub is "token" does
    // not get its roles.
    bool static_token = identity.kind == Identity::Kind::kToken;
    return bearer && binding.subject() == identity.subject &&
           static_token == (binding.subject() == kStaticTokenSubject);
  }
  if (!binding.certificate().empty()) {
    return !bearer && binding.certificate() == identity.subject;
  }
  size_t eq = binding.claim().find('=');
  std::pair<std::string, std::string> claim(binding.claim().substr(0, eq),
                                            binding.claim().substr(eq + 1));
  return std::find(identity.claims.begin(), identity.claims.end(), claim) !=
         identity.claims.end();
}

}  // namespace

absl::StatusOr<Policy> Policy::Parse(absl::string_view json,
                                     const std::vector<std::string>& tables) {
  policy::v1::Policy policy;
  auto parsed = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), &policy);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(parsed.message().ToString());
  }
  LMDBAPI_RETURN_IF_ERROR(CheckRoles(policy, tables));
  for (int i = 0; i < policy.bindings_size(); ++i) {
    LMDBAPI_RETURN_IF_ERROR(CheckBinding(policy, policy.bindings(i),
                                         absl::StrCat("bindings[", i, "]")));
  }
  return Policy(std::move(policy));
}

std::vector<std::string> Policy::RolesOf(const Identity& identity) const {
  std::vector<std::string> roles;
  for (const policy::v1::Binding& binding : policy_.bindings()) {
    if (!Binds(binding, identity)) continue;
    for (const std::string& role : binding.roles()) {
      if (std::find(roles.begin(), roles.end(), role) == roles.end()) {
        roles.push_back(role);
      }
    }
  }
  return roles;
}

bool Policy::Grants(const std::string& role, absl::string_view table,
                    Permission permission) const {
  for (const policy::v1::Role& r : policy_.roles()) {
    if (r.name() != role) continue;
    for (const policy::v1::Grant& grant : r.grants()) {
      if ((Holds(grant.tables(), table) ||
           Holds(grant.tables(), kEveryTable)) &&
          Holds(grant.permissions(), PermissionName(permission))) {
        return true;
      }
    }
  }
  return false;
}

absl::Status Policy::Check(const Identity& identity, absl::string_view table,
                           Permission permission) const {
  std::vector<std::string> roles = RolesOf(identity);
  for (const std::string& role : roles) {
    if (Grants(role, table, permission)) return absl::OkStatus();
  }
  std::string held =
      roles.empty() ? "no role"
                    : absl::StrCat(roles.size() == 1 ? "role '" : "roles '",
                                   absl::StrJoin(roles, "', '"), "'");
  std::string on = table == kEveryTable ? std::string("every table ('*')")
                                        : absl::StrCat("table '", table, "'");
  return absl::PermissionDeniedError(
      absl::StrCat("identity '", identity.subject, "' (", held, ") lacks ",
                   PermissionName(permission), " on ", on));
}

}  // namespace lmdbapi::server::access
