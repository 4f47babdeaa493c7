#include "storage/index_key.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"

namespace lmdbapi::storage {

absl::Status MakeIndexEntry(const google::protobuf::Message& record,
                            const IndexSchema& index, absl::string_view pk,
                            IndexEntry* entry) {
  entry->key.clear();
  entry->value.clear();
  TupleWriter writer(&entry->key);
  for (const FieldRef& field : index.fields) {
    LMDBAPI_RETURN_IF_ERROR(AppendField(record, field, writer));
  }
  // A unique index constrains only records that set at least one of its
  // fields: records that leave them all unset share the key prefix and are
  // told apart by their primary key, as in a non-unique index.
  bool constrained = false;
  if (index.unique) {
    for (const FieldRef& f : index.fields) {
      constrained |= record.GetReflection()->HasField(record, f.field);
    }
    entry->value.assign(pk.data(), pk.size());
  }
  if (!constrained) entry->key.append(pk.data(), pk.size());
  if (entry->key.size() > kMaxKeySize) {
    std::vector<std::string> names;
    for (const FieldRef& f : index.fields) names.push_back(f.field->name());
    return absl::InvalidArgumentError(
        absl::StrCat("field '", absl::StrJoin(names, "', '"),
                     "': the values are too long for index '", index.name,
                     "' (", entry->key.size(),
                     " bytes with the key; the limit is ", kMaxKeySize, ")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<absl::string_view> FieldsOfEntry(const IndexSchema& index,
                                                absl::string_view key) {
  TupleReader reader(key);
  for (const FieldRef& field : index.fields) {
    absl::Status status;
    switch (field.kind) {
      case FieldKind::kString:
        status = reader.SkipString();
        break;
      case FieldKind::kBool:
        status = reader.SkipFixed(1);
        break;
      case FieldKind::kTimestamp:
        status = reader.SkipFixed(12);
        break;
      default:
        status = reader.SkipFixed(8);
        break;
    }
    if (!status.ok()) return status;
  }
  return key.substr(0, key.size() - reader.rest().size());
}

absl::StatusOr<absl::string_view> PrimaryKeyOfEntry(const IndexSchema& index,
                                                    absl::string_view key,
                                                    absl::string_view value) {
  if (index.unique) return value;
  LMDBAPI_ASSIGN_OR_RETURN(absl::string_view fields, FieldsOfEntry(index, key));
  return key.substr(fields.size());
}

}  // namespace lmdbapi::storage
