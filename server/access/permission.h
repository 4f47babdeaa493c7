// What a call does to a table, the unit the access policy grants: read
// (Get, Filter, Paginate, Count, Watch, Export), write (Insert, Update,
// Patch, Delete, BatchInsert, Import, Transactions/Commit) and admin
// (Backup, Stat, Verify, Rebuild: the Admin service but Metrics).
#ifndef LMDBAPI_SERVER_ACCESS_PERMISSION_H_
#define LMDBAPI_SERVER_ACCESS_PERMISSION_H_

#include <optional>

#include "absl/strings/string_view.h"

namespace lmdbapi::server::access {

enum class Permission { kRead, kWrite, kAdmin };

// The table of the database-wide admin calls (Backup, Stat, Verify): only a
// grant on every table ("*") covers them.
inline constexpr absl::string_view kEveryTable = "*";

// "read", "write" or "admin": the policy file's words.
inline absl::string_view PermissionName(Permission p) {
  switch (p) {
    case Permission::kRead:
      return "read";
    case Permission::kWrite:
      return "write";
    case Permission::kAdmin:
      return "admin";
  }
  return "?";
}

// The permission a policy file names, or nullopt.
inline std::optional<Permission> PermissionNamed(absl::string_view name) {
  for (Permission p :
       {Permission::kRead, Permission::kWrite, Permission::kAdmin}) {
    if (PermissionName(p) == name) return p;
  }
  return std::nullopt;
}

}  // namespace lmdbapi::server::access

#endif  // LMDBAPI_SERVER_ACCESS_PERMISSION_H_
