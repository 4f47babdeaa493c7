// get, put, delete, list, count, watch and schema: records one at a time, as
// JSON (protobuf's JSON mapping), one object a line.
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "cli/commands.h"
#include "cli/record_format.h"

namespace lmdbapi::cli {
namespace {

using google::protobuf::Message;

absl::Status PrintRecord(const Message& record) {
  LMDBAPI_ASSIGN_OR_RETURN(std::string json, RecordJson(record));
  printf("%s\n", json.c_str());
  return absl::OkStatus();
}

// The records `invocation` asks for: --filter and --parent (a child table's
// records of one parent).
absl::StatusOr<ListOptions> ConditionOf(const Invocation& invocation,
                                        const TableInfo& table) {
  ListOptions options;
  options.filter = invocation.Flag("filter");
  options.parent = invocation.Flag("parent");
  if (!options.parent.empty() && table.parent_key.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--parent: table ", table.name, " has no parent"));
  }
  return options;
}

}  // namespace

absl::Status RunGet(const Invocation& invocation) {
  LMDBAPI_ASSIGN_OR_RETURN(const TableInfo* table, invocation.Table());
  std::unique_ptr<Message> record = invocation.backend->NewRecord(*table);
  LMDBAPI_RETURN_IF_ERROR(
      invocation.backend->Get(*table, invocation.args[0], record.get()));
  return PrintRecord(*record);
}

absl::Status RunPut(const Invocation& invocation) {
  LMDBAPI_ASSIGN_OR_RETURN(const TableInfo* table, invocation.Table());
  std::unique_ptr<Message> record = invocation.backend->NewRecord(*table);
  absl::Status parsed = ParseJson(invocation.args[0], record.get());
  if (!parsed.ok()) return parsed;
  LMDBAPI_RETURN_IF_ERROR(invocation.backend->Put(*table, record.get()));
  return PrintRecord(*record);
}

absl::Status RunDelete(const Invocation& invocation) {
  LMDBAPI_ASSIGN_OR_RETURN(const TableInfo* table, invocation.Table());
  LMDBAPI_RETURN_IF_ERROR(
      invocation.backend->Delete(*table, invocation.args[0]));
  printf("deleted %s %s\n", table->name.c_str(), invocation.args[0].c_str());
  return absl::OkStatus();
}

absl::Status RunList(const Invocation& invocation) {
  LMDBAPI_ASSIGN_OR_RETURN(const TableInfo* table, invocation.Table());
  LMDBAPI_ASSIGN_OR_RETURN(ListOptions options,
                           ConditionOf(invocation, *table));
  options.order_by = invocation.Flag("order_by");
  LMDBAPI_ASSIGN_OR_RETURN(options.limit, invocation.UintFlag("limit", 0));
  LMDBAPI_ASSIGN_OR_RETURN(options.page_size,
                           invocation.UintFlag("page_size", 0));
  return invocation.backend->List(*table, options,
                                  [](const TableInfo&, const Message& record) {
                                    return PrintRecord(record);
                                  });
}

absl::Status RunCount(const Invocation& invocation) {
  LMDBAPI_ASSIGN_OR_RETURN(const TableInfo* table, invocation.Table());
  LMDBAPI_ASSIGN_OR_RETURN(ListOptions options,
                           ConditionOf(invocation, *table));
  LMDBAPI_ASSIGN_OR_RETURN(CountAnswer answer,
                           invocation.backend->Count(*table, options));
  printf("%llu\n", static_cast<unsigned long long>(answer.count));
  if (invocation.BoolFlag("explain")) printf("plan: %s\n", answer.plan.c_str());
  return absl::OkStatus();
}

absl::Status RunWatch(const Invocation& invocation) {
  LMDBAPI_ASSIGN_OR_RETURN(const TableInfo* table, invocation.Table());
  LMDBAPI_ASSIGN_OR_RETURN(uint64_t from,
                           invocation.UintFlag("from_revision", 0));
  LMDBAPI_ASSIGN_OR_RETURN(uint64_t max, invocation.UintFlag("max_changes", 0));
  return invocation.backend->Watch(
      *table, invocation.Flag("filter"), from, max,
      [](const std::string& type, const Message& record) -> absl::Status {
        LMDBAPI_ASSIGN_OR_RETURN(std::string json, RecordJson(record));
        printf("{\"type\":\"%s\",\"record\":%s}\n", type.c_str(), json.c_str());
        fflush(stdout);
        return absl::OkStatus();
      });
}

absl::Status RunSchema(const Invocation& invocation) {
  LMDBAPI_ASSIGN_OR_RETURN(std::string schema, invocation.backend->Schema());
  fputs(schema.c_str(), stdout);
  return absl::OkStatus();
}

}  // namespace lmdbapi::cli
