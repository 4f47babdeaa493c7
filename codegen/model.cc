#include "codegen/model.h"

#include <set>
#include <tuple>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "codegen/commit_layout.h"
#include "proto/lmdbapi/options.pb.h"
#include "storage/value.h"

namespace lmdbapi::codegen {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::FileDescriptor;

// Filter request fields take numbers from the record's: 16 + 3n (equals),
// 17 + 3n (min), 18 + 3n (max), so adding record fields never renumbers.
constexpr int kFilterBase = 16;
constexpr int kMaxFilterableNumber = 6000;  // keeps clear of 19000-19999

class ErrorAt {
 public:
  ErrorAt(const FileDescriptor* file, const Descriptor* message)
      : file_(file), message_(message) {}
  absl::Status operator()(absl::string_view field,
                          absl::string_view problem) const {
    std::string where =
        absl::StrCat(file_->name(), ": message ", message_->name());
    if (!field.empty()) absl::StrAppend(&where, ", field '", field, "'");
    return absl::InvalidArgumentError(absl::StrCat(where, ": ", problem));
  }

 private:
  const FileDescriptor* file_;
  const Descriptor* message_;
};

std::string CamelCase(absl::string_view snake) {
  std::string out;
  bool upper = true;
  for (char c : snake) {
    if (c == '_') {
      upper = true;
    } else {
      out.push_back(upper ? absl::ascii_toupper(c) : c);
      upper = false;
    }
  }
  return out;
}

std::string SnakeCase(absl::string_view camel) {
  std::string out;
  for (size_t i = 0; i < camel.size(); ++i) {
    char c = camel[i];
    if (absl::ascii_isupper(c)) {
      if (i > 0) out.push_back('_');
      out.push_back(absl::ascii_tolower(c));
    } else {
      out.push_back(c);
    }
  }
  return out;
}

bool IsCollectionName(absl::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!(absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '_'))
      return false;
  }
  return true;
}

// The proto type that carries an optional filter value for `field`.
std::string FilterType(const FieldDescriptor* field, SchemaModel* model) {
  switch (field->type()) {
    case FieldDescriptor::TYPE_STRING:
      model->needs_wrappers = true;
      return "google.protobuf.StringValue";
    case FieldDescriptor::TYPE_BYTES:
      model->needs_wrappers = true;
      return "google.protobuf.BytesValue";
    case FieldDescriptor::TYPE_INT32:
    case FieldDescriptor::TYPE_SINT32:
    case FieldDescriptor::TYPE_SFIXED32:
      model->needs_wrappers = true;
      return "google.protobuf.Int32Value";
    case FieldDescriptor::TYPE_INT64:
    case FieldDescriptor::TYPE_SINT64:
    case FieldDescriptor::TYPE_SFIXED64:
      model->needs_wrappers = true;
      return "google.protobuf.Int64Value";
    case FieldDescriptor::TYPE_UINT32:
    case FieldDescriptor::TYPE_FIXED32:
      model->needs_wrappers = true;
      return "google.protobuf.UInt32Value";
    case FieldDescriptor::TYPE_UINT64:
    case FieldDescriptor::TYPE_FIXED64:
      model->needs_wrappers = true;
      return "google.protobuf.UInt64Value";
    case FieldDescriptor::TYPE_BOOL:
      model->needs_wrappers = true;
      return "google.protobuf.BoolValue";
    case FieldDescriptor::TYPE_FLOAT:
      model->needs_wrappers = true;
      return "google.protobuf.FloatValue";
    case FieldDescriptor::TYPE_DOUBLE:
      model->needs_wrappers = true;
      return "google.protobuf.DoubleValue";
    case FieldDescriptor::TYPE_ENUM:
      return "." + field->enum_type()->full_name();
    default:  // Timestamp (checked by the caller)
      model->needs_timestamp = true;
      return "google.protobuf.Timestamp";
  }
}

bool IsOrdered(const FieldDescriptor* field) {
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
    case FieldDescriptor::CPPTYPE_BOOL:
    case FieldDescriptor::CPPTYPE_ENUM:
      return false;
    default:
      return true;  // numbers and Timestamps
  }
}

absl::Status BuildFilterFields(const ErrorAt& error, TableModel* table,
                               SchemaModel* model) {
  std::set<std::string> names = {"page_size", "page_token"};
  for (int i = 0; i < table->message->field_count(); ++i) {
    const FieldDescriptor* field = table->message->field(i);
    if (!storage::KindOfField(field).ok()) continue;  // not filterable
    if (field == table->revision || field == table->create_time ||
        field == table->update_time) {
      continue;  // server-maintained: stored records do not hold them
    }
    if (field->number() > kMaxFilterableNumber) {
      return error(
          field->name(),
          absl::StrCat("field number ", field->number(), " is above ",
                       kMaxFilterableNumber, ", the largest a filter can map"));
    }
    int base = kFilterBase + 3 * field->number();
    FilterField eq;
    eq.name = field->name();
    eq.record_field = field->name();
    eq.number = base;
    if (field == table->parent_key) {
      eq.type = "string";  // plain: path parameters cannot fill wrappers
      eq.comment = absl::StrCat("Records of this parent (empty: any).");
    } else {
      eq.type = FilterType(field, model);
      eq.comment = field->enum_type() != nullptr
                       ? absl::StrCat(field->name(), " equals (0 = any).")
                       : absl::StrCat(field->name(), " equals (unset = any).");
    }
    table->filter_fields.push_back(eq);
    if (IsOrdered(field) && field != table->parent_key) {
      FilterField min = eq, max = eq;
      min.name = field->name() + "_min";
      min.number = base + 1;
      min.role = FilterField::Role::kMin;
      min.comment = absl::StrCat(field->name(), " >= this (inclusive).");
      max.name = field->name() + "_max";
      max.number = base + 2;
      max.role = FilterField::Role::kMax;
      max.comment = absl::StrCat(field->name(), " <= this (inclusive).");
      table->filter_fields.push_back(min);
      table->filter_fields.push_back(max);
    }
  }
  for (const FilterField& f : table->filter_fields) {
    if (!names.insert(f.name).second) {
      return error(f.record_field,
                   absl::StrCat("the filter request field '", f.name,
                                "' would be declared twice; rename the field"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::string TableModel::InsertRequest() const {
  return absl::StrCat("Insert", message->name(), "Request");
}
std::string TableModel::GetRequest() const {
  return absl::StrCat("Get", message->name(), "Request");
}
std::string TableModel::UpdateRequest() const {
  return absl::StrCat("Update", message->name(), "Request");
}
std::string TableModel::PatchRequest() const {
  return absl::StrCat("Patch", message->name(), "Request");
}
std::string TableModel::DeleteRequest() const {
  return absl::StrCat("Delete", message->name(), "Request");
}
std::string TableModel::DeleteResponse() const {
  return absl::StrCat("Delete", message->name(), "Response");
}
std::string TableModel::BatchInsertRequest() const {
  return absl::StrCat("BatchInsert", service, "Request");
}
std::string TableModel::BatchInsertResponse() const {
  return absl::StrCat("BatchInsert", service, "Response");
}
std::string TableModel::FilterRequest() const {
  return absl::StrCat("Filter", service, "Request");
}
std::string TableModel::PaginateRequest() const {
  return absl::StrCat("Paginate", service, "Request");
}
std::string TableModel::Page() const {
  return absl::StrCat(message->name(), "Page");
}
std::string TableModel::WatchRequest() const {
  return absl::StrCat("Watch", service, "Request");
}
std::string TableModel::Change() const {
  return absl::StrCat(message->name(), "Change");
}

absl::StatusOr<SchemaModel> BuildModel(const FileDescriptor* file) {
  SchemaModel model;
  model.file = file;
  std::string name = file->name();
  model.base =
      name.substr(0, name.size() - (absl::EndsWith(name, ".proto") ? 6 : 0));
  model.service_proto = model.base + "_service.proto";

  absl::flat_hash_map<std::string, int> by_message;
  absl::flat_hash_map<std::string, std::string> collections;
  for (int m = 0; m < file->message_type_count(); ++m) {
    const Descriptor* message = file->message_type(m);
    if (!message->options().HasExtension(lmdbapi::table)) continue;
    const lmdbapi::Table& options =
        message->options().GetExtension(lmdbapi::table);
    ErrorAt error(file, message);
    TableModel table;
    table.message = message;
    table.collection = options.collection();
    if (table.collection.empty())
      table.collection = SnakeCase(message->name()) + "s";
    if (!IsCollectionName(table.collection)) {
      return error("", absl::StrCat("collection '", table.collection,
                                    "' must match [a-z0-9_]{1,64}"));
    }
    if (auto [it, inserted] =
            collections.emplace(table.collection, message->name());
        !inserted) {
      return error("",
                   absl::StrCat("collection '", table.collection,
                                "' is already used by message ", it->second));
    }
    table.rest_collection = absl::StrReplaceAll(table.collection, {{"_", "-"}});
    table.service = CamelCase(table.collection);
    table.record_field = SnakeCase(message->name());

    for (int f = 0; f < message->field_count(); ++f) {
      const FieldDescriptor* field = message->field(f);
      const lmdbapi::Field& role =
          field->options().GetExtension(lmdbapi::field);
      if (role.primary_key()) {
        if (table.primary_key != nullptr) {
          return error(field->name(),
                       absl::StrCat("a second primary key (the first is '",
                                    table.primary_key->name(), "')"));
        }
        if (field->is_repeated() ||
            field->type() != FieldDescriptor::TYPE_STRING) {
          return error(field->name(),
                       "the primary key must be a singular string field");
        }
        table.primary_key = field;
      }
      for (auto [marked, slot, what] :
           {std::make_tuple(role.revision(), &table.revision, "revision"),
            std::make_tuple(role.create_time(), &table.create_time,
                            "create_time"),
            std::make_tuple(role.update_time(), &table.update_time,
                            "update_time")}) {
        if (!marked) continue;
        if (*slot != nullptr) {
          return error(field->name(),
                       absl::StrCat("a second ", what, " field (the first is '",
                                    (*slot)->name(), "')"));
        }
        bool revision = absl::string_view(what) == "revision";
        bool fits =
            !field->is_repeated() &&
            (revision ? field->type() == FieldDescriptor::TYPE_INT64 ||
                            field->type() == FieldDescriptor::TYPE_UINT64
                      : field->message_type() != nullptr &&
                            field->message_type()->full_name() ==
                                "google.protobuf.Timestamp");
        if (!fits) {
          return error(field->name(),
                       absl::StrCat("the ", what, " field must be a singular ",
                                    revision ? "int64 or uint64"
                                             : "google.protobuf.Timestamp"));
        }
        if (role.primary_key() || role.parent_key()) {
          return error(field->name(),
                       absl::StrCat("a key cannot also be the ", what));
        }
        *slot = field;
      }
      if (role.parent_key()) {
        if (table.parent_key != nullptr) {
          return error(field->name(), "a second parent key");
        }
        if (field->is_repeated() ||
            field->type() != FieldDescriptor::TYPE_STRING) {
          return error(field->name(),
                       "the parent key must be a singular string field");
        }
        table.parent_key = field;
      }
    }
    if (table.primary_key == nullptr) {
      return error("",
                   "a table needs one string field marked "
                   "[(lmdbapi.field).primary_key = true]");
    }
    if (options.parent().empty() && table.parent_key != nullptr) {
      return error(table.parent_key->name(),
                   "a parent key in a main table (set the table's parent)");
    }
    if (!options.parent().empty() && table.parent_key == nullptr) {
      return error("", absl::StrCat("a secondary table of ", options.parent(),
                                    " needs a string field marked "
                                    "[(lmdbapi.field).parent_key = true]"));
    }

    std::set<std::string> index_names;
    for (const lmdbapi::Index& index : options.indexes()) {
      if (!IsCollectionName(index.name())) {
        return error("", absl::StrCat("index name '", index.name(),
                                      "' must match [a-z0-9_]{1,64}"));
      }
      if (!index_names.insert(index.name()).second) {
        return error(
            "", absl::StrCat("index '", index.name(), "' is declared twice"));
      }
      if (index.fields().empty()) {
        return error("",
                     absl::StrCat("index '", index.name(), "' has no fields"));
      }
      IndexModel model_index{index.name(), {}, index.unique()};
      for (const std::string& field_name : index.fields()) {
        const FieldDescriptor* field = message->FindFieldByName(field_name);
        if (field == nullptr) {
          return error(field_name,
                       absl::StrCat("index '", index.name(),
                                    "' names no field of the message"));
        }
        if (absl::StatusOr<storage::FieldKind> kind =
                storage::KindOfField(field);
            !kind.ok()) {
          return error(
              field_name,
              absl::StrCat("index '", index.name(), "': the field's type (",
                           field->is_repeated() ? "repeated " : "",
                           field->message_type() != nullptr
                               ? field->message_type()->full_name()
                               : field->type_name(),
                           ") cannot be indexed; use strings, bytes, "
                           "integers, enums, bools, floating point or "
                           "google.protobuf.Timestamp"));
        }
        if (field == table.revision || field == table.create_time ||
            field == table.update_time) {
          return error(field_name,
                       absl::StrCat("index '", index.name(),
                                    "' names a server-maintained field, "
                                    "which stored records do not hold"));
        }
        model_index.fields.push_back(field_name);
      }
      table.indexes.push_back(model_index);
    }
    by_message[message->name()] = static_cast<int>(model.tables.size());
    model.tables.push_back(std::move(table));
  }

  // Parents, now that every table is known.
  for (int t = 0; t < static_cast<int>(model.tables.size()); ++t) {
    TableModel& table = model.tables[t];
    const lmdbapi::Table& options =
        table.message->options().GetExtension(lmdbapi::table);
    if (options.parent().empty()) continue;
    ErrorAt error(file, table.message);
    auto it = by_message.find(options.parent());
    if (it == by_message.end()) {
      const Descriptor* other = file->FindMessageTypeByName(options.parent());
      return error(
          table.parent_key->name(),
          other != nullptr
              ? absl::StrCat(
                    "parent ", options.parent(),
                    " is not a table (it has no (lmdbapi.table) option)")
              : absl::StrCat("parent ", options.parent(),
                             " is not a message of this file"));
    }
    if (it->second == t) {
      return error(table.parent_key->name(),
                   "a table cannot be its own parent");
    }
    table.parent = it->second;
  }
  for (TableModel& table : model.tables) {
    // A parent chain that loops would make cascading deletes endless.
    int hops = 0;
    for (int p = table.parent; p >= 0; p = model.tables[p].parent) {
      if (++hops > static_cast<int>(model.tables.size())) {
        return ErrorAt(file, table.message)(table.parent_key->name(),
                                            "parent links form a cycle");
      }
    }
    absl::Status status =
        BuildFilterFields(ErrorAt(file, table.message), &table, &model);
    if (!status.ok()) return status;
  }

  // Generated names must not clash with the schema's own messages.
  std::set<std::string> taken;
  for (int m = 0; m < file->message_type_count(); ++m) {
    taken.insert(file->message_type(m)->name());
  }
  for (const TableModel& table : model.tables) {
    for (const std::string& generated :
         {table.InsertRequest(), table.GetRequest(), table.UpdateRequest(),
          table.PatchRequest(), table.DeleteRequest(), table.DeleteResponse(),
          table.BatchInsertRequest(), table.BatchInsertResponse(),
          table.FilterRequest(), table.PaginateRequest(), table.Page(),
          table.WatchRequest(), table.Change(), table.service}) {
      if (!taken.insert(generated).second) {
        return ErrorAt(file, table.message)(
            "",
            absl::StrCat("the generated name ", generated,
                         " clashes with a message or service of the schema"));
      }
    }
  }
  if (model.tables.empty()) {
    return absl::InvalidArgumentError(
        "no message has the (lmdbapi.table) option");
  }
  namespace L = ::lmdbapi::commit_layout;
  for (const char* generated :
       {L::kService, L::kRequest, L::kResponse, L::kWrite, L::kPrecondition,
        L::kKeyRef, L::kResult}) {
    if (!taken.insert(generated).second) {
      const google::protobuf::Descriptor* own =
          file->FindMessageTypeByName(generated);
      return ErrorAt(file, own != nullptr ? own : model.tables[0].message)(
          "", absl::StrCat("the generated name ", generated,
                           " (of the Transactions service) clashes with a "
                           "message or service of the schema"));
    }
  }
  model.needs_field_mask = true;  // every table has Patch
  return model;
}

}  // namespace lmdbapi::codegen
