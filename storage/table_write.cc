// Table writes: what each one does inside its (nested) transaction.
#include <algorithm>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "base/status_macros.h"
#include "google/protobuf/field_mask.pb.h"
#include "google/protobuf/util/field_mask_util.h"
#include "storage/lmdb.h"
#include "storage/status.h"
#include "storage/table.h"
#include "storage/tuple.h"
#include "storage/uuid.h"

namespace lmdbapi::storage {
namespace {

using google::protobuf::Message;

std::string FieldList(const IndexSchema& index) {
  std::vector<std::string> names;
  for (const FieldRef& f : index.fields) names.push_back(f.Name());
  return absl::StrJoin(names, "', '");
}

// True when `entries` (sorted by key) holds `entry`.
bool Holds(absl::Span<const IndexEntry> entries, const IndexEntry& entry) {
  auto it = std::lower_bound(
      entries.begin(), entries.end(), entry,
      [](const IndexEntry& a, const IndexEntry& b) { return a.key < b.key; });
  return it != entries.end() && it->key == entry.key &&
         it->value == entry.value;
}

// Deletes the record's entry; an entry that is absent (an index being
// built has not reached the record) is fine, and so is a unique index's key
// held by another record (then a duplicate the build will meet): that one
// stays.
absl::Status DeleteEntry(MDB_txn* txn, MDB_dbi dbi, const IndexSchema& index,
                         const IndexEntry& entry) {
  if (index.unique) {
    absl::StatusOr<absl::string_view> held = GetValue(txn, dbi, entry.key);
    if (absl::IsNotFound(held.status())) return absl::OkStatus();
    LMDBAPI_RETURN_IF_ERROR(held.status());
    if (*held != entry.value) return absl::OkStatus();
  }
  absl::Status status = DeleteKey(txn, dbi, entry.key);
  return absl::IsNotFound(status) ? absl::OkStatus() : status;
}

// Deletes a format-1 record's version (storage/stored_record.h); records
// from before versions were kept have none.
absl::Status DropLegacyVersion(MDB_txn* txn, MDB_dbi versions,
                               absl::string_view pk) {
  absl::Status status = DeleteKey(txn, versions, pk);
  return absl::IsNotFound(status) ? absl::OkStatus() : status;
}

// A command of one write (CommitWrite moves only: no initializer list).
std::vector<CommitWrite> One(CommitWrite write) {
  std::vector<CommitWrite> writes;
  writes.push_back(std::move(write));
  return writes;
}

// Gives `answer` the record written: `stored` and `version`'s fields.
void AnswerWritten(const TableSchema& table, absl::string_view stored,
                   const RecordVersion& version, WriteAnswer* answer) {
  char fields[kMaxVersionFieldBytes];
  answer->Take(stored, absl::string_view(fields, EncodeVersionFields(
                                                     table, version, fields)));
}

}  // namespace

absl::Status Table::EntriesOf(const Message& record, absl::string_view pk,
                              RecordEntries* entries) const {
  return entries->Compute(record, schema_.indexes, pk);
}

absl::Status Table::CheckParentInTxn(MDB_txn* txn,
                                     const Prepared& prepared) const {
  if (parent_ == nullptr) return absl::OkStatus();
  absl::StatusOr<absl::string_view> found =
      GetValue(txn, parent_->records_, prepared.parent_pk);
  if (absl::IsNotFound(found.status())) {
    return absl::FailedPreconditionError(absl::StrCat(
        "field '", schema_.parent_key.field->name(), "': parent ",
        parent_->name(), " '", prepared.parent_pk, "' does not exist"));
  }
  return found.status();
}

absl::Status Table::PutEntry(MDB_txn* txn, const Index& index,
                             const IndexEntry& entry,
                             absl::string_view pk) const {
  absl::Status status = PutValue(txn, index.dbi, entry.key, entry.value,
                                 index.schema->unique ? MDB_NOOVERWRITE : 0);
  if (absl::IsAlreadyExists(status)) {
    absl::StatusOr<absl::string_view> other =
        GetValue(txn, index.dbi, entry.key);
    return absl::AlreadyExistsError(
        absl::StrCat("field '", FieldList(*index.schema), "': ", name(), " '",
                     other.ok() ? *other : "?",
                     "' already has these values in unique index '",
                     index.schema->name, "' (writing '", pk, "')"));
  }
  return status;
}

absl::Status Table::ReplaceEntries(MDB_txn* txn, const Index& index,
                                   absl::Span<const IndexEntry> before,
                                   absl::Span<const IndexEntry> after,
                                   absl::string_view pk) const {
  if (before.size() == 1 && after.size() == 1 &&
      before[0].key == after[0].key && before[0].value == after[0].value) {
    return absl::OkStatus();  // the usual update: this index is unchanged
  }
  for (const IndexEntry& old : before) {
    if (!Holds(after, old)) {
      LMDBAPI_RETURN_IF_ERROR(DeleteEntry(txn, index.dbi, *index.schema, old));
    }
  }
  for (const IndexEntry& entry : after) {
    if (!Holds(before, entry)) {
      LMDBAPI_RETURN_IF_ERROR(PutEntry(txn, index, entry, pk));
    }
  }
  return absl::OkStatus();
}

absl::Status Table::PutRecord(MDB_txn* txn, absl::string_view pk,
                              const RecordVersion& version,
                              absl::string_view record, unsigned flags) const {
  return PutValue(txn, records_, pk, JoinStored(version, record), flags);
}

absl::Status Table::WriteRecordInTxn(MDB_txn* txn, absl::string_view pk,
                                     int64_t create_micros,
                                     absl::string_view value, unsigned flags,
                                     RecordVersion* version) const {
  LMDBAPI_ASSIGN_OR_RETURN(RevisionClock::Tick tick, clock_->Take(txn));
  RecordVersion v;
  v.revision = tick.revision;
  v.update_micros = clock_->NowMicros();
  v.create_micros = create_micros != 0 ? create_micros : v.update_micros;
  LMDBAPI_RETURN_IF_ERROR(PutRecord(txn, pk, v, value, flags));
  LMDBAPI_RETURN_IF_ERROR(changes_->Append(
      txn, v.revision, tick.position,
      create_micros == 0 ? ChangeType::kInsert : ChangeType::kUpdate, name(),
      pk, value));
  if (version != nullptr) *version = v;
  return absl::OkStatus();
}

absl::Status Table::InsertInTxn(MDB_txn* txn, const Prepared& prepared,
                                RecordVersion* version) const {
  LMDBAPI_RETURN_IF_ERROR(CheckParentInTxn(txn, prepared));
  absl::Status status = WriteRecordInTxn(txn, prepared.pk, 0, prepared.value,
                                         MDB_NOOVERWRITE, version);
  if (absl::IsAlreadyExists(status)) {
    return absl::AlreadyExistsError(
        absl::StrCat("field '", schema_.primary_key.field->name(),
                     "': ", name(), " '", prepared.pk, "' already exists"));
  }
  LMDBAPI_RETURN_IF_ERROR(status);
  for (size_t i = 0; i < indexes_.size(); ++i) {
    if (!Maintained(i)) continue;
    for (const IndexEntry& entry : prepared.entries.of(i)) {
      LMDBAPI_RETURN_IF_ERROR(PutEntry(txn, indexes_[i], entry, prepared.pk));
    }
  }
  return absl::OkStatus();
}

absl::Status Table::UpdateInTxn(MDB_txn* txn, const Prepared& prepared,
                                uint64_t expected_revision,
                                RecordVersion* version) const {
  LMDBAPI_ASSIGN_OR_RETURN(Stored old_stored, ReadStored(txn, prepared.pk));
  LMDBAPI_RETURN_IF_ERROR(
      CheckRevision(old_stored.version, expected_revision,
                    absl::StrCat(name(), " '", prepared.pk, "'")));
  std::unique_ptr<Message> old(prototype_->New());
  LMDBAPI_RETURN_IF_ERROR(
      ParseRecord(prepared.pk, old_stored.bytes, old.get()));
  // A record from before versions were kept counts as created now.
  const int64_t create_micros = old_stored.version.create_micros != 0
                                    ? old_stored.version.create_micros
                                    : clock_->NowMicros();
  if (old_stored.legacy) {
    LMDBAPI_RETURN_IF_ERROR(DropLegacyVersion(txn, versions_, prepared.pk));
  }
  RecordEntries old_entries;
  LMDBAPI_RETURN_IF_ERROR(EntriesOf(*old, prepared.pk, &old_entries));
  if (parent_ != nullptr &&
      old->GetReflection()->GetString(*old, schema_.parent_key.field) !=
          prepared.parent_pk) {
    LMDBAPI_RETURN_IF_ERROR(CheckParentInTxn(txn, prepared));
  }
  for (size_t i = 0; i < indexes_.size(); ++i) {
    if (!Maintained(i)) continue;
    LMDBAPI_RETURN_IF_ERROR(ReplaceEntries(txn, indexes_[i], old_entries.of(i),
                                           prepared.entries.of(i),
                                           prepared.pk));
  }
  return WriteRecordInTxn(txn, prepared.pk, create_micros, prepared.value, 0,
                          version);
}

absl::Status Table::PatchInTxn(MDB_txn* txn, const Message& patch,
                               const std::vector<std::string>& paths,
                               uint64_t expected_revision, Message* result,
                               RecordVersion* version) const {
  std::string pk =
      patch.GetReflection()->GetString(patch, schema_.primary_key.field);
  LMDBAPI_ASSIGN_OR_RETURN(Stored stored, ReadStored(txn, pk));
  LMDBAPI_RETURN_IF_ERROR(ParseRecord(pk, stored.bytes, result));
  google::protobuf::FieldMask mask;
  for (const std::string& path : paths) mask.add_paths(path);
  google::protobuf::util::FieldMaskUtil::MergeOptions replace;
  replace.set_replace_message_fields(true);
  replace.set_replace_repeated_fields(true);
  google::protobuf::util::FieldMaskUtil::MergeMessageTo(patch, mask, replace,
                                                        result);
  LMDBAPI_ASSIGN_OR_RETURN(Prepared prepared, Prepare(*result));
  RecordVersion written;
  LMDBAPI_RETURN_IF_ERROR(
      UpdateInTxn(txn, prepared, expected_revision, &written));
  SetVersionFields(schema_, written, result);
  if (version != nullptr) *version = written;
  return absl::OkStatus();
}

absl::Status Table::DeleteInTxn(MDB_txn* txn, absl::string_view pk,
                                uint64_t expected_revision) const {
  LMDBAPI_ASSIGN_OR_RETURN(Stored stored, ReadStored(txn, pk));
  LMDBAPI_RETURN_IF_ERROR(CheckRevision(stored.version, expected_revision,
                                        absl::StrCat(name(), " '", pk, "'")));
  std::unique_ptr<Message> record(prototype_->New());
  LMDBAPI_RETURN_IF_ERROR(ParseRecord(pk, stored.bytes, record.get()));
  const std::string last_state(stored.bytes);  // the page goes with the delete
  const bool legacy = stored.legacy;
  RecordEntries entries;
  LMDBAPI_RETURN_IF_ERROR(EntriesOf(*record, pk, &entries));
  for (size_t i = 0; i < indexes_.size(); ++i) {
    for (const IndexEntry& entry : entries.of(i)) {
      LMDBAPI_RETURN_IF_ERROR(
          DeleteEntry(txn, indexes_[i].dbi, *indexes_[i].schema, entry));
    }
  }
  LMDBAPI_RETURN_IF_ERROR(DeleteKey(txn, records_, pk));
  if (legacy) LMDBAPI_RETURN_IF_ERROR(DropLegacyVersion(txn, versions_, pk));
  // A delete takes a revision too: revisions count every write.
  LMDBAPI_ASSIGN_OR_RETURN(RevisionClock::Tick tick, clock_->Take(txn));
  LMDBAPI_RETURN_IF_ERROR(changes_->Append(txn, tick.revision, tick.position,
                                           ChangeType::kDelete, name(), pk,
                                           last_state));

  // Cascade: children are found through their parent-link index, whose
  // entries start with the tuple of the parent's key.
  for (const Table* child : children_) {
    const Index& link = child->indexes_.back();
    std::string prefix;
    TupleWriter(&prefix).AppendString(pk);
    std::vector<std::string> child_pks;
    {
      LMDBAPI_ASSIGN_OR_RETURN(Cursor cursor, Cursor::Open(txn, link.dbi));
      absl::StatusOr<bool> more = cursor.Seek(prefix);
      for (; more.ok() && *more; more = cursor.Next()) {
        if (cursor.key().substr(0, prefix.size()) != prefix) break;
        LMDBAPI_ASSIGN_OR_RETURN(
            absl::string_view child_pk,
            PrimaryKeyOfEntry(*link.schema, cursor.key(), cursor.value()));
        child_pks.emplace_back(child_pk);
      }
      LMDBAPI_RETURN_IF_ERROR(more);
    }
    for (const std::string& child_pk : child_pks) {
      LMDBAPI_RETURN_IF_ERROR(child->DeleteInTxn(txn, child_pk, 0));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Table::Prepared> Table::PrepareInsert(Message* record) const {
  const auto* reflection = record->GetReflection();
  std::string scratch;  // unused: a string field's value is referenced
  if (record->GetDescriptor() == schema_.descriptor &&
      reflection
          ->GetStringReference(*record, schema_.primary_key.field, &scratch)
          .empty()) {
    reflection->SetString(record, schema_.primary_key.field,
                          NewUuidV7(options_.uuid_tag));
  }
  return Prepare(*record);
}

bool Table::Canonical(absl::string_view bytes) const {
  return canonical_->Check(bytes);
}

absl::StatusOr<Table::Prepared> Table::PrepareCanonical(
    absl::string_view bytes) const {
  // On the wire: Prepare's reads of the record, from bytes that are already
  // what it would store (a record without a key gets a new UUIDv7, written
  // in its place). A child's parent key and what WireRecord cannot read are
  // parsed.
  absl::string_view pk;
  if (parent_ == nullptr && wire_->PrimaryKey(bytes, &pk) &&
      wire_->Valid(bytes)) {
    Prepared prepared;
    if (pk.empty()) {
      prepared.pk = NewUuidV7(options_.uuid_tag);
      prepared.value = wire_->WithPrimaryKey(bytes, prepared.pk);
    } else {
      prepared.pk.assign(pk.data(), pk.size());
      prepared.value.assign(bytes.data(), bytes.size());
    }
    LMDBAPI_RETURN_IF_ERROR(CheckPrimaryKey(prepared.pk));
    std::optional<absl::Status> entries =
        wire_->Entries(prepared.value, prepared.pk, &prepared.entries);
    if (entries.has_value()) {
      LMDBAPI_RETURN_IF_ERROR(*entries);
      return prepared;
    }
  }
  std::unique_ptr<Message> record(prototype_->New());
  if (!record->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the record does not parse as ", schema_.descriptor->full_name()));
  }
  return PrepareInsert(record.get());
}

void Table::Insert(Message* record, const WriteOptions& options, Done done) {
  if (options.expected_revision != 0) {
    return done(absl::InvalidArgumentError(
        "expected_revision: an insert writes a new record, which has none"));
  }
  if (writer_->replicated()) {
    return SubmitCommand(
        One(CommandWrite(CommitWrite::Kind::kInsert, record)), options.deadline,
        [this, record, version = options.version,
         answer = options.answer](std::vector<CommitWrite>& w) {
          record->CopyFrom(*w[0].record);
          SetVersionFields(schema_, w[0].version, record);
          if (version != nullptr) *version = w[0].version;
          if (answer != nullptr) answer->Take(record->SerializeAsString(), "");
        },
        std::move(done));
  }
  absl::StatusOr<Prepared> prepared = PrepareInsert(record);
  if (!prepared.ok()) return done(prepared.status());
  SubmitInsert(std::make_shared<Prepared>(*std::move(prepared)), record,
               options, std::move(done));
}

void Table::InsertCanonical(absl::string_view bytes,
                            const WriteOptions& options, Done done) {
  if (options.answer == nullptr || writer_->replicated()) {
    return done(absl::InternalError(
        "InsertCanonical needs an answer and an unreplicated table"));
  }
  absl::StatusOr<Prepared> prepared = PrepareCanonical(bytes);
  if (!prepared.ok()) return done(prepared.status());
  SubmitInsert(std::make_shared<Prepared>(*std::move(prepared)), nullptr,
               options, std::move(done));
}

void Table::SubmitInsert(std::shared_ptr<const Prepared> prepared,
                         Message* record, const WriteOptions& options,
                         Done done) {
  writer_->Submit(
      [this, prepared, record, version = options.version,
       answer = options.answer](MDB_txn* txn) {
        RecordVersion written;
        absl::Status status = InsertInTxn(txn, *prepared, &written);
        if (!status.ok()) return status;
        if (answer != nullptr) {
          AnswerWritten(schema_, prepared->value, written, answer);
        } else {
          SetVersionFields(schema_, written, record);
        }
        if (version != nullptr) *version = written;
        return status;
      },
      std::move(done), options.deadline);
}

absl::Status Table::Insert(Message* record, const WriteOptions& options) {
  return Writer::Wait(
      [&](Done done) { Insert(record, options, std::move(done)); });
}

void Table::BatchInsert(std::vector<Message*> records, Done done) {
  if (writer_->replicated()) {
    std::vector<CommitWrite> writes;
    for (Message* record : records) {
      writes.push_back(CommandWrite(CommitWrite::Kind::kInsert, record));
    }
    return SubmitCommand(
        std::move(writes), WriteDeadline::max(),
        [this, records](std::vector<CommitWrite>& w) {
          for (size_t i = 0; i < records.size(); ++i) {
            records[i]->CopyFrom(*w[i].record);
            SetVersionFields(schema_, w[i].version, records[i]);
          }
        },
        std::move(done));
  }
  auto batch = std::make_shared<std::vector<Prepared>>();
  batch->reserve(records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    Message* record = records[i];
    absl::StatusOr<Prepared> prepared = PrepareInsert(record);
    if (!prepared.ok()) {
      return done(At(absl::StrCat("records[", i, "]"), prepared.status()));
    }
    batch->push_back(*std::move(prepared));
  }
  writer_->Submit(
      [this, batch, records](MDB_txn* txn) -> absl::Status {
        for (size_t i = 0; i < batch->size(); ++i) {
          RecordVersion version;
          absl::Status status = InsertInTxn(txn, (*batch)[i], &version);
          if (status.ok()) SetVersionFields(schema_, version, records[i]);
          if (IsMapFull(status)) return status;  // keep the marker for growth
          if (!status.ok()) {
            return At(absl::StrCat("records[", i, "]"), status);
          }
        }
        return absl::OkStatus();
      },
      std::move(done));
}

absl::Status Table::BatchInsert(absl::Span<Message* const> records) {
  std::vector<Message*> copy(records.begin(), records.end());
  return Writer::Wait(
      [&](Done done) { BatchInsert(std::move(copy), std::move(done)); });
}

void Table::Update(const Message& record, const WriteOptions& options,
                   Done done) {
  if (writer_->replicated()) {
    CommitWrite write = CommandWrite(CommitWrite::Kind::kUpdate, &record);
    write.expected_revision = options.expected_revision;
    return SubmitCommand(
        One(std::move(write)), options.deadline,
        [this, &record, version = options.version,
         answer = options.answer](std::vector<CommitWrite>& w) {
          if (version != nullptr) *version = w[0].version;
          if (answer != nullptr) {
            std::unique_ptr<Message> written(record.New());
            written->CopyFrom(record);
            SetVersionFields(schema_, w[0].version, written.get());
            answer->Take(written->SerializeAsString(), "");
          }
        },
        std::move(done));
  }
  absl::StatusOr<Prepared> prepared = Prepare(record);
  if (!prepared.ok()) return done(prepared.status());
  auto shared = std::make_shared<Prepared>(*std::move(prepared));
  writer_->Submit(
      [this, shared, options](MDB_txn* txn) {
        RecordVersion written;
        LMDBAPI_RETURN_IF_ERROR(
            UpdateInTxn(txn, *shared, options.expected_revision, &written));
        if (options.answer != nullptr) {
          AnswerWritten(schema_, shared->value, written, options.answer);
        }
        if (options.version != nullptr) *options.version = written;
        return absl::OkStatus();
      },
      std::move(done), options.deadline);
}

absl::Status Table::Update(const Message& record, const WriteOptions& options) {
  return Writer::Wait(
      [&](Done done) { Update(record, options, std::move(done)); });
}

absl::Status Table::CheckPatch(const Message& patch,
                               const std::vector<std::string>& paths) const {
  if (patch.GetDescriptor() != schema_.descriptor) {
    return absl::InvalidArgumentError(absl::StrCat(
        "table ", name(), " stores ", schema_.descriptor->full_name()));
  }
  LMDBAPI_RETURN_IF_ERROR(CheckPrimaryKey(
      patch.GetReflection()->GetString(patch, schema_.primary_key.field)));
  for (const std::string& path : paths) {
    if (!google::protobuf::util::FieldMaskUtil::GetFieldDescriptors(
            schema_.descriptor, path, nullptr)) {
      return absl::InvalidArgumentError(
          absl::StrCat("update_mask: '", path, "' is not a field of ",
                       schema_.descriptor->name()));
    }
  }
  return absl::OkStatus();
}

void Table::Patch(const Message& patch, std::vector<std::string> paths,
                  Message* result, const WriteOptions& options, Done done) {
  absl::Status status = CheckPatch(patch, paths);
  if (status.ok() && result->GetDescriptor() != schema_.descriptor) {
    status = absl::InvalidArgumentError(absl::StrCat(
        "table ", name(), " stores ", schema_.descriptor->full_name()));
  }
  if (!status.ok()) return done(status);
  if (writer_->replicated()) {
    CommitWrite write = CommandWrite(CommitWrite::Kind::kPatch, &patch);
    write.paths = std::move(paths);
    write.expected_revision = options.expected_revision;
    return SubmitCommand(
        One(std::move(write)), options.deadline,
        [result, version = options.version](std::vector<CommitWrite>& w) {
          result->CopyFrom(*w[0].stored);
          if (version != nullptr) *version = w[0].version;
        },
        std::move(done));
  }
  auto copy = std::shared_ptr<Message>(patch.New());
  copy->CopyFrom(patch);
  auto shared_paths =
      std::make_shared<std::vector<std::string>>(std::move(paths));
  writer_->Submit(
      [this, copy, shared_paths, result, options](MDB_txn* txn) {
        return PatchInTxn(txn, *copy, *shared_paths, options.expected_revision,
                          result, options.version);
      },
      std::move(done), options.deadline);
}

absl::Status Table::Patch(const Message& patch, std::vector<std::string> paths,
                          Message* result, const WriteOptions& options) {
  return Writer::Wait([&](Done done) {
    Patch(patch, std::move(paths), result, options, std::move(done));
  });
}

void Table::Delete(absl::string_view pk, const WriteOptions& options,
                   Done done) {
  if (options.version != nullptr) {
    return done(absl::InvalidArgumentError(
        "version: a delete leaves no record, so no version to give"));
  }
  absl::Status status = CheckPrimaryKey(pk);
  if (!status.ok()) return done(status);
  if (writer_->replicated()) {
    CommitWrite write = CommandWrite(CommitWrite::Kind::kDelete, nullptr);
    write.key = std::string(pk);
    write.expected_revision = options.expected_revision;
    return SubmitCommand(
        One(std::move(write)), options.deadline,
        [](std::vector<CommitWrite>&) {}, std::move(done));
  }
  writer_->Submit(
      [this, key = std::string(pk),
       expected_revision = options.expected_revision](MDB_txn* txn) {
        return DeleteInTxn(txn, key, expected_revision);
      },
      std::move(done), options.deadline);
}

absl::Status Table::Delete(absl::string_view pk, const WriteOptions& options) {
  return Writer::Wait([&](Done done) { Delete(pk, options, std::move(done)); });
}

}  // namespace lmdbapi::storage
