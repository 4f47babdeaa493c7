#include "storage/table.h"

#include <algorithm>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "storage/coding.h"
#include "storage/lmdb.h"
#include "storage/status.h"
#include "storage/uuid.h"
#include "storage/validate.h"

namespace lmdbapi::storage {
namespace {

using google::protobuf::Message;

}  // namespace

std::string IndexMismatch::DebugString() const {
  const char* what = kind == Kind::kMissing    ? "missing entry"
                     : kind == Kind::kDangling ? "dangling entry"
                                               : "orphan record";
  return absl::StrCat(what, " in ", index, " for ", primary_key, " (key ",
                      entry_key, ")");
}

Table::Table(TableSchema schema, Environment* env, Writer* writer,
             MDB_dbi records, std::vector<MDB_dbi> index_dbis, MDB_dbi versions,
             MDB_dbi meta, const TokenSecret* secret, const Message* prototype,
             TableOptions options)
    : schema_(std::move(schema)),
      env_(env),
      writer_(writer),
      records_(records),
      versions_(versions),
      meta_(meta),
      secret_(secret),
      prototype_(prototype),
      options_(options) {
  index_states_ =
      std::make_unique<std::atomic<IndexState>[]>(schema_.indexes.size());
  for (size_t i = 0; i < schema_.indexes.size(); ++i) {
    indexes_.push_back(Index{&schema_.indexes[i], index_dbis[i]});
    index_states_[i].store(IndexState::kReady);
  }
  wire_ = WireRecord::Compile(schema_);
  canonical_ = CanonicalRecord::Compile(schema_.descriptor);
}

absl::Status Table::CheckPrimaryKey(absl::string_view pk) const {
  const std::string& field = schema_.primary_key.field->name();
  if (pk.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("field '", field, "': the primary key is empty"));
  }
  if (pk.size() > kMaxKeySize) {
    return absl::InvalidArgumentError(
        absl::StrCat("field '", field, "': the primary key is ", pk.size(),
                     " bytes; the limit is ", kMaxKeySize));
  }
  return absl::OkStatus();
}

absl::Status Table::ParseRecord(absl::string_view pk, absl::string_view bytes,
                                Message* record) const {
  if (!record->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError(absl::StrCat("record '", pk, "' of ", name(),
                                            " does not parse as ",
                                            schema_.descriptor->full_name()));
  }
  return absl::OkStatus();
}

absl::StatusOr<Table::Prepared> Table::Prepare(const Message& record) const {
  if (record.GetDescriptor() != schema_.descriptor) {
    return absl::InvalidArgumentError(absl::StrCat(
        "table ", name(), " stores ", schema_.descriptor->full_name(), ", not ",
        record.GetDescriptor()->full_name()));
  }
  const auto* reflection = record.GetReflection();
  Prepared prepared;
  prepared.pk = reflection->GetString(record, schema_.primary_key.field);
  LMDBAPI_RETURN_IF_ERROR(CheckPrimaryKey(prepared.pk));
  // Read from the bytes it stores, unless it sets version fields (output
  // only: stored from a copy without them) or carries unknown fields,
  // which may repeat a known field's number (a parsed record's never do
  // with the field's wire type; a built one's may): then by reflection.
  prepared.value = DeterministicBytes(record);
  bool by_wire = reflection->GetUnknownFields(record).empty();
  if (!by_wire || !wire_->Valid(prepared.value)) {
    LMDBAPI_RETURN_IF_ERROR(ValidateRecord(record));
    if (HasVersionFields(schema_, record)) {
      by_wire = false;
      std::unique_ptr<Message> copy(record.New());
      copy->CopyFrom(record);
      ClearVersionFields(schema_, copy.get());
      prepared.value = DeterministicBytes(*copy);
    }
  }
  if (parent_ != nullptr) {
    prepared.parent_pk =
        reflection->GetString(record, schema_.parent_key.field);
    if (prepared.parent_pk.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("field '", schema_.parent_key.field->name(), "': a ",
                       name(), " record needs its parent's key"));
    }
  }
  std::optional<absl::Status> entries;
  if (by_wire) {
    entries = wire_->Entries(prepared.value, prepared.pk, &prepared.entries);
  }
  if (!entries.has_value()) {
    entries = EntriesOf(record, prepared.pk, &prepared.entries);
  }
  LMDBAPI_RETURN_IF_ERROR(*entries);
  return prepared;
}

// ---- reads -----------------------------------------------------------------

absl::StatusOr<RecordVersion> Table::VersionOf(
    MDB_txn* txn, absl::string_view pk, const StoredRecord& stored) const {
  if (stored.version.has_value()) return *stored.version;
  return ReadVersion(txn, versions_, pk);
}

absl::StatusOr<Table::Stored> Table::Unpack(MDB_txn* txn, absl::string_view pk,
                                            absl::string_view value) const {
  LMDBAPI_ASSIGN_OR_RETURN(StoredRecord split, SplitStored(value));
  Stored stored;
  stored.bytes = split.bytes;
  stored.legacy = !split.version.has_value();
  LMDBAPI_ASSIGN_OR_RETURN(stored.version, VersionOf(txn, pk, split));
  return stored;
}

absl::StatusOr<Table::Stored> Table::ReadStored(MDB_txn* txn,
                                                absl::string_view pk) const {
  LMDBAPI_RETURN_IF_ERROR(CheckPrimaryKey(pk));
  absl::StatusOr<absl::string_view> value = GetValue(txn, records_, pk);
  if (absl::IsNotFound(value.status())) {
    return absl::NotFoundError(absl::StrCat(name(), " '", pk, "' not found"));
  }
  LMDBAPI_RETURN_IF_ERROR(value.status());
  return Unpack(txn, pk, *value);
}

absl::Status Table::GetWire(absl::string_view pk, std::string* wire,
                            RecordVersion* version) const {
  return GetWire(
      pk,
      [wire](absl::string_view stored, absl::string_view version_fields) {
        *wire = absl::StrCat(stored, version_fields);
      },
      version);
}

absl::Status Table::GetWire(
    absl::string_view pk,
    absl::FunctionRef<void(absl::string_view, absl::string_view)> take,
    RecordVersion* version) const {
  LMDBAPI_ASSIGN_OR_RETURN(Environment::ReadTxn txn, env_->BeginRead());
  LMDBAPI_ASSIGN_OR_RETURN(Stored stored, ReadStored(txn.get(), pk));
  *version = stored.version;
  char fields[kMaxVersionFieldBytes];
  take(stored.bytes, absl::string_view(fields, EncodeVersionFields(
                                                   schema_, *version, fields)));
  return absl::OkStatus();
}

absl::Status Table::Get(absl::string_view pk, Message* record,
                        RecordVersion* version) const {
  LMDBAPI_ASSIGN_OR_RETURN(Environment::ReadTxn txn, env_->BeginRead());
  LMDBAPI_ASSIGN_OR_RETURN(Stored stored, ReadStored(txn.get(), pk));
  LMDBAPI_RETURN_IF_ERROR(ParseRecord(pk, stored.bytes, record));
  SetVersionFields(schema_, stored.version, record);
  if (version != nullptr) *version = stored.version;
  return absl::OkStatus();
}

}  // namespace lmdbapi::storage
