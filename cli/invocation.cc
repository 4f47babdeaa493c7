// What every command gets: the parsed command line (cli/commands.h).
#include <memory>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/commands.h"

namespace lmdbapi::cli {
namespace {

constexpr char kUsagePayload[] = "lmdbapi.cli/usage";

}  // namespace

absl::Status UsageError(const std::string& message) {
  absl::Status status = absl::InvalidArgumentError(message);
  status.SetPayload(kUsagePayload, absl::Cord("1"));
  return status;
}

bool IsUsageError(const absl::Status& status) {
  return status.GetPayload(kUsagePayload).has_value();
}

std::string Invocation::Flag(const std::string& flag,
                             const std::string& otherwise) const {
  auto it = flags.find(flag);
  return it == flags.end() ? otherwise : it->second;
}

bool Invocation::BoolFlag(const std::string& flag) const {
  std::string value = Flag(flag, "false");
  return value == "true" || value == "1" || value == "yes";
}

absl::StatusOr<uint64_t> Invocation::UintFlag(const std::string& flag,
                                              uint64_t otherwise) const {
  if (!Has(flag)) return otherwise;
  uint64_t value;
  if (!absl::SimpleAtoi(Flag(flag), &value)) {
    return UsageError(absl::StrCat("--", flag, ": '", Flag(flag),
                                   "' is not a non-negative integer"));
  }
  return value;
}

absl::StatusOr<const TableInfo*> Invocation::Table() const {
  if (!Has("table") || Flag("table").empty()) {
    std::vector<std::string> names;
    for (const TableInfo& table : backend->tables())
      names.push_back(table.name);
    return UsageError(absl::StrCat(
        "--table is required (the tables: ", absl::StrJoin(names, ", "), ")"));
  }
  return backend->FindTable(Flag("table"));
}

std::unique_ptr<Progress> Invocation::NewProgress(
    const std::string& what) const {
  if (quiet) return nullptr;
  return std::make_unique<Progress>(what, 0);
}

}  // namespace lmdbapi::cli
