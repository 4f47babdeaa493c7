#include "storage/schema_change.h"

#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"

namespace lmdbapi::storage {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

constexpr char kRecreate[] =
    "or export the table, and import it into a new data directory with the "
    "new schema";

std::string TypeName(const FieldDescriptor* f) {
  std::string type = f->message_type() != nullptr
                         ? f->message_type()->full_name()
                     : f->enum_type() != nullptr ? f->enum_type()->full_name()
                                                 : f->type_name();
  return absl::StrCat(f->is_repeated() ? "repeated " : "", type);
}

// The field `after` of the new schema, named as the user knows it.
std::string FieldName(const std::string& path, const FieldDescriptor* before,
                      const FieldDescriptor* after) {
  std::string name =
      absl::StrCat("field '", path, "' (number ", after->number());
  if (before->name() != after->name()) {
    absl::StrAppend(&name, ", was '", before->name(), "'");
  }
  return name + ")";
}

// The fields of `before` whose number `after` keeps with another type or
// cardinality, through nested messages.
void CompareMessages(
    const Descriptor* before, const Descriptor* after,
    const std::string& prefix,
    std::set<std::pair<const Descriptor*, const Descriptor*>>* seen,
    std::vector<std::string>* changes) {
  if (!seen->insert({before, after}).second) return;
  for (int i = 0; i < before->field_count(); ++i) {
    const FieldDescriptor* b = before->field(i);
    const FieldDescriptor* a = after->FindFieldByNumber(b->number());
    if (a == nullptr) continue;  // removed: its values stay unknown fields
    std::string path = prefix + a->name();
    if (b->type() != a->type() || b->is_repeated() != a->is_repeated()) {
      changes->push_back(absl::StrCat(FieldName(path, b, a),
                                      ": its type changed from ", TypeName(b),
                                      " to ", TypeName(a)));
    } else if (b->message_type() != nullptr) {
      CompareMessages(b->message_type(), a->message_type(), path + ".", seen,
                      changes);
    }
  }
}

std::string KeyName(const FieldRef& key) {
  return absl::StrCat("'", key.field->name(), "' (number ", key.field->number(),
                      ")");
}

std::string ParentName(const TableSchema& t) {
  if (t.parent_table.empty()) return "none (a main table)";
  return absl::StrCat(t.parent_table, " by ", KeyName(t.parent_key));
}

// Every change that makes `next` unable to read the records of `stored`.
std::vector<std::string> TableChanges(const TableSchema& stored,
                                      const TableSchema& next) {
  std::vector<std::string> changes;
  std::set<std::pair<const Descriptor*, const Descriptor*>> seen;
  CompareMessages(stored.descriptor, next.descriptor, "", &seen, &changes);
  for (std::string& change : changes) {
    absl::StrAppend(&change,
                    "; add a new field with a new number instead (and mark "
                    "the old one reserved); ",
                    kRecreate);
  }
  if (stored.primary_key.field->number() != next.primary_key.field->number()) {
    changes.push_back(absl::StrCat(
        "its primary key changed from ", KeyName(stored.primary_key), " to ",
        KeyName(next.primary_key),
        "; records are stored under their key: ", kRecreate));
  }
  bool same_parent =
      stored.parent_table == next.parent_table &&
      (stored.parent_table.empty() ||
       stored.parent_key.field->number() == next.parent_key.field->number());
  if (!same_parent) {
    changes.push_back(absl::StrCat("its parent changed from ",
                                   ParentName(stored), " to ", ParentName(next),
                                   "; ", kRecreate));
  }
  return changes;
}

std::string TableName(const TableSchema& t) {
  return absl::StrCat(t.descriptor->file()->name(), ": table '", t.name,
                      "' (message ", t.descriptor->full_name(), ")");
}

}  // namespace

absl::Status CheckSchemaChange(const std::vector<TableSchema>& stored,
                               const std::vector<TableSchema>& next,
                               RecordCount records, absl::string_view dir) {
  std::vector<std::string> problems;
  for (const TableSchema& before : stored) {
    const TableSchema* after = nullptr;
    for (const TableSchema& t : next) {
      if (t.name == before.name) after = &t;
    }
    std::vector<std::string> changes;
    if (after != nullptr) changes = TableChanges(before, *after);
    if (after != nullptr && changes.empty()) continue;
    LMDBAPI_ASSIGN_OR_RETURN(uint64_t count, records(before));
    if (count == 0) continue;  // an empty table may change in any way
    if (after == nullptr) {
      problems.push_back(absl::StrCat(
          TableName(before), " holds ", count,
          " records and the schema no longer declares it; declare it again, "
          "or drop it only once it is empty (export it first if its records "
          "matter: lmdbapi export ",
          dir, " --table=", before.name, ")"));
    }
    for (const std::string& change : changes) {
      problems.push_back(absl::StrCat(TableName(*after), " holds ", count,
                                      " records, ", change));
    }
  }
  if (problems.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "the schema cannot open the data in '", dir,
      "' (nothing was changed there):\n  ", absl::StrJoin(problems, "\n  ")));
}

}  // namespace lmdbapi::storage
