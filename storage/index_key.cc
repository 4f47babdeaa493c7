#include "storage/index_key.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"

namespace lmdbapi::storage {
namespace {

using google::protobuf::Message;

// True when `record` sets at least one of the index's fields.
bool SetsAny(const Message& record, const IndexSchema& index) {
  for (const FieldRef& f : index.fields) {
    const Message& holder = f.path.empty() ? record : HolderOf(record, f);
    const auto* reflection = holder.GetReflection();
    if (f.repeated() ? reflection->FieldSize(holder, f.field) > 0
                     : reflection->HasField(holder, f.field)) {
      return true;
    }
  }
  return false;
}

absl::Status KeyTooLong(const IndexSchema& index, const IndexEntry& entry) {
  std::vector<std::string> names;
  for (const FieldRef& f : index.fields) names.push_back(f.Name());
  return absl::InvalidArgumentError(
      absl::StrCat("field '", absl::StrJoin(names, "', '"),
                   "': the values are too long for index '", index.name, "' (",
                   entry.key.size(), " bytes with the key; the limit is ",
                   kMaxKeySize, ")"));
}

// Builds an entry; the field at position `repeated` (if any) gives its
// element `element`.
absl::Status BuildEntry(const Message& record, const IndexSchema& index,
                        absl::string_view pk, int repeated, int element,
                        IndexEntry* entry) {
  entry->key.clear();
  entry->value.clear();
  TupleWriter writer(&entry->key);
  for (size_t i = 0; i < index.fields.size(); ++i) {
    const FieldRef& field = index.fields[i];
    LMDBAPI_RETURN_IF_ERROR(static_cast<int>(i) == repeated
                                ? AppendElement(record, field, element, writer)
                                : AppendField(record, field, writer));
  }
  return FinishIndexEntry(index, pk, index.unique && SetsAny(record, index),
                          entry);
}

// One entry per distinct element of the repeated field at `repeated`.
absl::Status AppendElementEntries(const Message& record,
                                  const IndexSchema& index,
                                  absl::string_view pk, int repeated,
                                  std::vector<IndexEntry>* entries) {
  const FieldRef& field = index.fields[repeated];
  const Message& holder = HolderOf(record, field);
  const int n = holder.GetReflection()->FieldSize(holder, field.field);
  const size_t first = entries->size();
  for (int e = 0; e < n; ++e) {
    entries->emplace_back();
    absl::Status status =
        BuildEntry(record, index, pk, repeated, e, &entries->back());
    if (!status.ok()) {
      entries->resize(first);
      return status;
    }
  }
  auto begin = entries->begin() + first;
  std::sort(
      begin, entries->end(),
      [](const IndexEntry& a, const IndexEntry& b) { return a.key < b.key; });
  entries->erase(std::unique(begin, entries->end(),
                             [](const IndexEntry& a, const IndexEntry& b) {
                               return a.key == b.key;
                             }),
                 entries->end());
  return absl::OkStatus();
}

}  // namespace

absl::Status FinishIndexEntry(const IndexSchema& index, absl::string_view pk,
                              bool sets_any, IndexEntry* entry) {
  // A unique index constrains only records that set at least one of its
  // fields: records that leave them all unset share the key prefix and are
  // told apart by their primary key, as in a non-unique index.
  bool constrained = index.unique && sets_any;
  if (index.unique) entry->value.assign(pk.data(), pk.size());
  if (!constrained) entry->key.append(pk.data(), pk.size());
  if (entry->key.size() > kMaxKeySize) return KeyTooLong(index, *entry);
  return absl::OkStatus();
}

absl::Status MakeIndexEntry(const Message& record, const IndexSchema& index,
                            absl::string_view pk, IndexEntry* entry) {
  if (index.RepeatedField() >= 0) {
    return absl::InternalError(absl::StrCat(
        "index '", index.name, "' has a repeated field: several entries"));
  }
  return BuildEntry(record, index, pk, -1, 0, entry);
}

absl::Status AppendIndexEntries(const Message& record, const IndexSchema& index,
                                absl::string_view pk,
                                std::vector<IndexEntry>* entries) {
  if (int repeated = index.RepeatedField(); repeated >= 0) {
    return AppendElementEntries(record, index, pk, repeated, entries);
  }
  entries->emplace_back();
  absl::Status status = BuildEntry(record, index, pk, -1, 0, &entries->back());
  if (!status.ok()) entries->pop_back();
  return status;
}

void RecordEntries::Clear(size_t indexes) {
  entries_.clear();
  ends_.clear();
  entries_.reserve(indexes);
}

IndexEntry* RecordEntries::Add() {
  IndexEntry* entry = &entries_.emplace_back();
  entry->key.clear();
  entry->value.clear();
  return entry;
}

void RecordEntries::EndIndex() {
  ends_.push_back(static_cast<uint32_t>(entries_.size()));
}

absl::Status RecordEntries::Compute(const Message& record,
                                    const std::vector<IndexSchema>& indexes,
                                    absl::string_view pk) {
  entries_.clear();
  ends_.clear();
  entries_.reserve(indexes.size());
  for (const IndexSchema& index : indexes) {
    if (int repeated = index.RepeatedField(); repeated >= 0) {
      LMDBAPI_RETURN_IF_ERROR(
          AppendElementEntries(record, index, pk, repeated, &entries_));
    } else {  // the usual index: one entry, built in place
      LMDBAPI_RETURN_IF_ERROR(
          BuildEntry(record, index, pk, -1, 0, &entries_.emplace_back()));
    }
    ends_.push_back(static_cast<uint32_t>(entries_.size()));
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
