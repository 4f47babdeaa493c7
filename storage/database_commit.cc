// Database::Commit: several writes over several tables in one transaction
// (storage/commit.h).
#include <optional>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "storage/database.h"
#include "storage/lmdb.h"
#include "storage/status.h"

namespace lmdbapi::storage {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

// Sets the key_refs fields of `write` from the keys of earlier writes.
absl::Status ResolveKeyRefs(const std::vector<CommitWrite>& writes, size_t i,
                            CommitWrite& write) {
  for (const auto& [field_name, from] : write.key_refs) {
    if (from >= i) {
      return absl::InvalidArgumentError(
          absl::StrCat("key_refs: write ", from, " is not an earlier write"));
    }
    const FieldDescriptor* field =
        write.record == nullptr
            ? nullptr
            : write.record->GetDescriptor()->FindFieldByName(field_name);
    if (field == nullptr || field->is_repeated() ||
        field->type() != FieldDescriptor::TYPE_STRING) {
      return absl::InvalidArgumentError(
          absl::StrCat("key_refs: '", field_name,
                       "' is not a string field of the written record"));
    }
    write.record->GetReflection()->SetString(write.record.get(), field,
                                             writes[from].key);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status Database::PrepareWrite(std::vector<CommitWrite>& writes, size_t i,
                                    absl::string_view prepared_value,
                                    std::optional<Table::Prepared>* prepared) {
  CommitWrite& write = writes[i];
  if (write.table == nullptr) {
    return absl::InvalidArgumentError("no such table");
  }
  const Table& table = *write.table;
  if (!prepared_value.empty()) {  // an Insert or Update, as a leader stores it
    LMDBAPI_ASSIGN_OR_RETURN(Table::Prepared p,
                             table.PrepareCanonical(prepared_value));
    write.key = p.pk;
    prepared->emplace(std::move(p));
    return absl::OkStatus();
  }
  if (write.kind != CommitWrite::Kind::kDelete && write.record == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "required: the ", table.schema().descriptor->name(), " to write"));
  }
  LMDBAPI_RETURN_IF_ERROR(ResolveKeyRefs(writes, i, write));
  absl::StatusOr<Table::Prepared> p;
  switch (write.kind) {
    case CommitWrite::Kind::kInsert:
      p = table.PrepareInsert(write.record.get());
      break;
    case CommitWrite::Kind::kUpdate:
      p = table.Prepare(*write.record);
      break;
    case CommitWrite::Kind::kPatch:
      write.key = write.record->GetReflection()->GetString(
          *write.record, table.schema().primary_key.field);
      write.stored = NewRecord(*write.record, write.record->GetArena());
      return table.CheckPatch(*write.record, write.paths);
    case CommitWrite::Kind::kDelete:
      return table.CheckPrimaryKey(write.key);
  }
  LMDBAPI_RETURN_IF_ERROR(p);
  write.key = p->pk;
  prepared->emplace(*std::move(p));
  return absl::OkStatus();
}

absl::Status Database::CheckCondition(MDB_txn* txn,
                                      const CommitCondition& condition) const {
  const Table& table = *condition.table;
  std::string what = absl::StrCat(table.name(), " '", condition.key, "'");
  absl::StatusOr<absl::string_view> found =
      GetValue(txn, table.records_, condition.key);
  if (!found.ok() && !absl::IsNotFound(found.status())) return found.status();
  bool exists = found.ok();
  switch (condition.kind) {
    case CommitCondition::Kind::kExists:
      if (exists) return absl::OkStatus();
      return absl::FailedPreconditionError(
          absl::StrCat(what, " does not exist"));
    case CommitCondition::Kind::kAbsent:
      if (!exists) return absl::OkStatus();
      return absl::FailedPreconditionError(absl::StrCat(what, " exists"));
    case CommitCondition::Kind::kRevision:
      break;
  }
  if (!exists) {
    return absl::AbortedError(
        absl::StrCat("revision: ", what, " does not exist (expected revision ",
                     condition.revision, ")"));
  }
  LMDBAPI_ASSIGN_OR_RETURN(Table::Stored stored,
                           table.Unpack(txn, condition.key, *found));
  const RecordVersion& version = stored.version;
  if (version.revision == condition.revision) return absl::OkStatus();
  return absl::AbortedError(absl::StrCat("revision: ", what, " is at revision ",
                                         version.revision, ", not ",
                                         condition.revision));
}

absl::Status Database::ApplyWrite(MDB_txn* txn, CommitWrite& write,
                                  const std::optional<Table::Prepared>& p) {
  // The records stay as they are: the writer may run the batch again.
  const Table& table = *write.table;
  switch (write.kind) {
    case CommitWrite::Kind::kInsert:
      write.stored_value = p->value;
      return table.InsertInTxn(txn, *p, &write.version);
    case CommitWrite::Kind::kUpdate:
      write.stored_value = p->value;
      return table.UpdateInTxn(txn, *p, write.expected_revision,
                               &write.version);
    case CommitWrite::Kind::kPatch:
      return table.PatchInTxn(txn, *write.record, write.paths,
                              write.expected_revision, write.stored.get(),
                              &write.version);
    case CommitWrite::Kind::kDelete:
      return table.DeleteInTxn(txn, write.key, write.expected_revision);
  }
  return absl::InternalError("unknown write kind");
}

absl::Status Database::WriteError(const storage::Commit& commit,
                                  bool one_revision, size_t i,
                                  absl::Status status) {
  if (one_revision) return At(absl::StrCat("writes[", i, "]"), status);
  if (IsMapFull(status) || commit.writes.size() == 1) return status;
  return At(absl::StrCat("records[", i, "]"), status);
}

absl::Status Database::PrepareCommit(
    storage::Commit& commit, bool one_revision, PreparedWrites* prepared,
    const std::vector<std::string>* prepared_values) {
  prepared->resize(commit.writes.size());
  for (size_t i = 0; i < commit.writes.size(); ++i) {
    absl::string_view value;
    if (prepared_values != nullptr) value = (*prepared_values)[i];
    absl::Status s = PrepareWrite(commit.writes, i, value, &(*prepared)[i]);
    if (!s.ok()) return WriteError(commit, one_revision, i, s);
  }
  for (size_t i = 0; i < commit.conditions.size(); ++i) {
    const CommitCondition& c = commit.conditions[i];
    absl::Status s = c.table == nullptr
                         ? absl::InvalidArgumentError("no such table")
                         : c.table->CheckPrimaryKey(c.key);
    if (!s.ok()) return At(absl::StrCat("preconditions[", i, "]"), s);
  }
  return absl::OkStatus();
}

absl::Status Database::ApplyCommitInTxn(MDB_txn* txn, storage::Commit& commit,
                                        const PreparedWrites& prepared,
                                        bool one_revision) {
  if (!one_revision) {  // table writes: a batch's errors name the record
    for (size_t i = 0; i < commit.writes.size(); ++i) {
      absl::Status s = ApplyWrite(txn, commit.writes[i], prepared[i]);
      if (!s.ok()) return WriteError(commit, false, i, s);
    }
    return absl::OkStatus();
  }
  RevisionClock::Commit scope(clock_.get());
  for (size_t i = 0; i < commit.conditions.size(); ++i) {
    absl::Status s = CheckCondition(txn, commit.conditions[i]);
    if (!s.ok()) return At(absl::StrCat("preconditions[", i, "]"), s);
  }
  for (size_t i = 0; i < commit.writes.size(); ++i) {
    absl::Status s = ApplyWrite(txn, commit.writes[i], prepared[i]);
    if (IsMapFull(s)) return s;  // the writer grows the map and reruns
    if (!s.ok()) return WriteError(commit, true, i, s);
  }
  if (scope.revision() != 0) {
    commit.revision = scope.revision();
    return absl::OkStatus();
  }
  LMDBAPI_ASSIGN_OR_RETURN(commit.revision, clock_->Current(txn));
  return absl::OkStatus();
}

void Database::Commit(std::shared_ptr<storage::Commit> commit,
                      Writer::Done done) {
  SubmitCommand(std::move(commit), /*one_revision=*/true, std::move(done));
}

absl::Status Database::Commit(storage::Commit& commit) {
  // The commit outlives the call only as long as the wait does.
  std::shared_ptr<storage::Commit> borrowed(&commit, [](storage::Commit*) {});
  return Writer::Wait(
      [&](Writer::Done done) { Commit(borrowed, std::move(done)); });
}

}  // namespace lmdbapi::storage
