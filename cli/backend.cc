#include "cli/backend.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace lmdbapi::cli {

absl::StatusOr<const TableInfo*> Backend::FindTable(
    const std::string& name) const {
  std::vector<std::string> names;
  for (const TableInfo& table : tables()) {
    std::string short_service =
        table.service.substr(table.service.rfind('.') + 1);
    if (table.name == name || short_service == name) return &table;
    names.push_back(table.name);
  }
  return absl::NotFoundError(absl::StrCat(
      "table '", name,
      "': no such table; there are: ", absl::StrJoin(names, ", ")));
}

}  // namespace lmdbapi::cli
