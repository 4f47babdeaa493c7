// Writes as commands (docs/REPLICATION.md): a Commit (storage/commit.h),
// prepared by the leader down to its keys, as the bytes every replica of a
// shard applies. A command is
//   byte format (3), byte one_revision,
//   varint conditions, each: byte kind, table, key, varint revision;
//   varint writes, each: byte kind, table, record, varint paths and each
//     path, key, varint expected_revision;
// strings length-prefixed (storage/coding.h). An import batch is a command
// of its own format (storage/importer_command.cc).
//
// A write's record: in format 3, an Insert's or Update's is the bytes the
// leader prepared to store (Table::Prepared::value), which every replica
// stores as they are, reading their checks and index entries off them
// (Table::PrepareCanonical) instead of parsing and preparing the record
// again; a Patch's is the patch (deterministic serialization), empty for
// a Delete. In format 1 (a leader before format 3) every record is the
// caller's, which each replica parses and prepares.
#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "storage/checkpoint_file.h"
#include "storage/coding.h"
#include "storage/database.h"
#include "storage/importer.h"
#include "storage/lmdb.h"
#include "storage/status.h"

namespace lmdbapi::storage {
namespace {

constexpr uint8_t kCallersRecordsFormat = 1;
// (2 is an import batch's, Importer::kCommandFormat.)
constexpr uint8_t kCommandFormat = 3;

// Whether a format-3 command carries `kind`'s record as prepared.
bool CarriesPrepared(CommitWrite::Kind kind) {
  return kind == CommitWrite::Kind::kInsert ||
         kind == CommitWrite::Kind::kUpdate;
}

// `prepared`, by write: the bytes prepared to store (empty for a Patch or
// a Delete).
std::string EncodeCommand(const Commit& commit,
                          const std::vector<absl::string_view>& prepared,
                          bool one_revision) {
  std::string out(1, static_cast<char>(kCommandFormat));
  out.push_back(one_revision ? 1 : 0);
  PutVarint64(commit.conditions.size(), &out);
  for (const CommitCondition& c : commit.conditions) {
    out.push_back(static_cast<char>(c.kind));
    PutLengthPrefixed(c.table->name(), &out);
    PutLengthPrefixed(c.key, &out);
    PutVarint64(c.revision, &out);
  }
  PutVarint64(commit.writes.size(), &out);
  for (size_t i = 0; i < commit.writes.size(); ++i) {
    const CommitWrite& w = commit.writes[i];
    out.push_back(static_cast<char>(w.kind));
    PutLengthPrefixed(w.table->name(), &out);
    if (CarriesPrepared(w.kind)) {
      PutLengthPrefixed(prepared[i], &out);
    } else {
      PutLengthPrefixed(w.record ? DeterministicBytes(*w.record) : "", &out);
    }
    PutVarint64(w.paths.size(), &out);
    for (const std::string& path : w.paths) PutLengthPrefixed(path, &out);
    PutLengthPrefixed(w.key, &out);
    PutVarint64(w.expected_revision, &out);
  }
  return out;
}

}  // namespace

// After a rollback (storage/checkpoint_file.h): the revisions the undone
// batches took may have been seen (a Watch, a Get); the counter moves past
// them, so that none is given to another write.
absl::Status Database::RaiseRevisionToFloor() {
  const std::string& dir = env_->options().path;
  LMDBAPI_ASSIGN_OR_RETURN(uint64_t floor, ReadRevisionFloor(dir));
  if (floor == 0) return absl::OkStatus();
  LMDBAPI_ASSIGN_OR_RETURN(Txn txn, Txn::BeginWrite(env_->raw(), nullptr));
  LMDBAPI_ASSIGN_OR_RETURN(uint64_t current, clock_->Current(txn.get()));
  if (current < floor) {
    LMDBAPI_RETURN_IF_ERROR(
        AdvanceRevision(txn.get(), meta_, floor - current).status());
    LMDBAPI_RETURN_IF_ERROR(txn.Commit());
    open_log_.push_back(
        absl::StrCat("revisions continue after ", floor,
                     ", the last an undone batch may have taken"));
  }
  return RemoveRevisionFloor(dir);
}

absl::Status Database::TrackRevision() {
  if (!read_only_) LMDBAPI_RETURN_IF_ERROR(RaiseRevisionToFloor());
  LMDBAPI_ASSIGN_OR_RETURN(Txn txn, Txn::BeginRead(env_->raw()));
  LMDBAPI_ASSIGN_OR_RETURN(uint64_t revision, clock_->Current(txn.get()));
  writer_->set_revision_clock(clock_.get(), revision);
  writer_->set_before_commit(
      [changes = changes_.get()](MDB_txn* txn, uint64_t revision) {
        return changes->Trim(txn, revision);
      });
  return absl::OkStatus();
}

absl::Status Database::Replicate(Replicator* replicator, uint64_t replica_id,
                                 size_t proposals_in_flight) {
  Writer::Replication replication;
  replication.proposals_in_flight = std::max<size_t>(1, proposals_in_flight);
  replication.replicator = replicator;
  replication.replica_id = replica_id;
  replication.applier = [this](MDB_txn* txn, absl::string_view command) {
    return ApplyCommand(txn, command);
  };
  replication.set_time = [this](int64_t micros) { clock_->set_time(micros); };
  replication.meta = meta_;
  return writer_->Replicate(std::move(replication));
}

void Database::SubmitCommand(std::shared_ptr<storage::Commit> commit,
                             bool one_revision, Writer::Done done) {
  auto prepared = std::make_shared<PreparedWrites>();
  absl::Status s = PrepareCommit(*commit, one_revision, prepared.get());
  if (!s.ok()) return done(s);
  // Only a replicated shard needs the bytes; the op is this caller's apply.
  std::string command;
  if (writer_->replicated()) {
    std::vector<absl::string_view> values;
    for (const std::optional<Table::Prepared>& p : *prepared) {
      values.push_back(p.has_value() ? absl::string_view(p->value) : "");
    }
    command = EncodeCommand(*commit, values, one_revision);
  }
  WriteDeadline deadline = commit->deadline;
  writer_->SubmitCommand(
      std::move(command),
      [this, commit, prepared, one_revision](MDB_txn* txn) {
        return ApplyCommitInTxn(txn, *commit, *prepared, one_revision);
      },
      std::move(done), deadline);
}

absl::Status Database::ApplyCommand(MDB_txn* txn, absl::string_view bytes) {
  Decoder in(bytes);
  const uint8_t format = in.Byte();
  if (format == Importer::kCommandFormat) {  // storage/importer_command.cc
    Table* into = table(in.LengthPrefixed());
    if (into == nullptr || !in.ok()) {
      return absl::DataLossError(
          "a replicated import into a table this schema does not have");
    }
    return Importer::ApplyCommand(into, txn, in.rest());
  }
  if (format != kCommandFormat && format != kCallersRecordsFormat) {
    return absl::DataLossError("a command of an unknown format");
  }
  const bool one_revision = in.Byte() != 0;
  storage::Commit commit;
  // Format 3: the Inserts' and Updates' records as the leader prepared
  // them, by write (empty for the other writes).
  std::vector<std::string> prepared_values;
  bool unknown = false;  // a table or record this schema does not have
  for (uint64_t n = in.Varint64(); in.ok() && n > 0; --n) {
    CommitCondition& c = commit.conditions.emplace_back();
    c.kind = static_cast<CommitCondition::Kind>(in.Byte());
    c.table = table(in.LengthPrefixed());
    c.key = in.LengthPrefixed();
    c.revision = in.Varint64();
    unknown = unknown || c.table == nullptr;
  }
  for (uint64_t n = in.Varint64(); in.ok() && n > 0; --n) {
    CommitWrite& w = commit.writes.emplace_back();
    w.kind = static_cast<CommitWrite::Kind>(in.Byte());
    w.table = table(in.LengthPrefixed());
    std::string record = in.LengthPrefixed();
    for (uint64_t p = in.Varint64(); in.ok() && p > 0; --p) {
      w.paths.push_back(in.LengthPrefixed());
    }
    w.key = in.LengthPrefixed();
    w.expected_revision = in.Varint64();
    prepared_values.emplace_back();
    if (w.table == nullptr) {
      unknown = true;
    } else if (format == kCommandFormat && CarriesPrepared(w.kind)) {
      prepared_values.back() = std::move(record);
    } else if (w.kind != CommitWrite::Kind::kDelete) {
      w.record.reset(w.table->prototype_->New());
      unknown = unknown || !w.record->ParseFromString(record);
    }
  }
  if (unknown || !in.ok() || !in.rest().empty()) {
    return absl::DataLossError(
        "a replicated command this replica cannot read (cut short, or of a "
        "table or record this schema does not have)");
  }
  PreparedWrites prepared;
  LMDBAPI_RETURN_IF_ERROR(
      PrepareCommit(commit, one_revision, &prepared, &prepared_values));
  return ApplyCommitInTxn(txn, commit, prepared, one_revision);
}

}  // namespace lmdbapi::storage
