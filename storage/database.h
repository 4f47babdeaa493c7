// A database: one LMDB environment holding the tables of one schema, their
// indexes, a meta database, and the group-commit writer they share.
//
// Layout (readable with mdb_stat -a and mdb_dump -a):
//   __lmdbapi_meta         format version, page-token secret, index
//                          definitions, revision, the schema
//                          (storage/stored_schema.h)
//   <table>                primary key -> deterministic proto serialization
//   <table>.idx.<index>    index entries (see index_key.h)
//
// Opening checks the format version and the schema against the one the
// directory records (storage/stored_schema.h, storage/schema_change.h:
// FAILED_PRECONDITION, nothing written, when the data cannot be read with
// it), records the schema when it changed, and marks every index that is new
// or whose definition changed as building: it is built online, in chunks,
// after Open returns (storage/index_build.h; before, with
// build_indexes_online false); indexes that the schema no longer declares
// are dropped. Open read-only, it writes nothing and builds nothing.
#ifndef LMDBAPI_STORAGE_DATABASE_H_
#define LMDBAPI_STORAGE_DATABASE_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/dynamic_message.h"
#include "storage/change_log.h"
#include "storage/commit.h"
#include "storage/environment.h"
#include "storage/index_build.h"
#include "storage/index_builder.h"
#include "storage/page_token.h"
#include "storage/revision_clock.h"
#include "storage/schema.h"
#include "storage/table.h"
#include "storage/writer.h"

namespace lmdbapi::storage {

struct DatabaseOptions {
  EnvOptions env;
  size_t max_batch = 1024;  // operations per group commit
  // Writes waiting for the writer; past it a write is refused at once with
  // UNAVAILABLE (0: no bound).
  size_t max_queued_writes = 0;
  TableOptions table;
  // Changes kept for Watch (storage/change_log.h): the newest this many.
  uint64_t change_retention = 100000;
  // Replace the key that signs page tokens with a new one: every token
  // issued before is refused (INVALID_ARGUMENT naming page_token).
  bool rotate_page_token_secret = false;
  // Open for reading only: no write transaction is ever begun (nothing is
  // built, dropped or recorded; writes fail with FAILED_PRECONDITION), and
  // the directory may be on a read-only mount. For verify, stat, get and
  // export on a data directory.
  bool read_only = false;
  // Build new and changed indexes after opening, online (storage/
  // index_build.h); false: before Open returns, as one offline pass.
  bool build_indexes_online = true;
  // The share of time the online builder works (IndexBuilder): below 1 it
  // rests between chunks, leaving the CPU and the writer to the calls.
  double index_build_share = 1;
  // Records per chunk of an online build (0: IndexBuilder's default).
  size_t index_build_chunk_records = 0;
  // The CPU priority (nice) of the online builder's thread, which applies
  // its chunks itself (IndexBuilder); 0: the process's.
  int index_build_nice = 0;
  // Runs on the builder's thread after it read a chunk ahead and before the
  // writer's turn to write it (tests write there).
  std::function<void()> before_index_chunk_write;
};

// Database::Stat: the database at a glance.
struct IndexStat {
  std::string name;  // "by_county"
  uint64_t entries = 0;
  uint64_t pages = 0;  // branch + leaf + overflow
  IndexBuildProgress build;
};
struct TableStat {
  std::string name;  // "permits"
  uint64_t records = 0;
  uint64_t pages = 0;  // the records' (each index counts its own)
  std::vector<IndexStat> indexes;
};
struct DatabaseStat {
  std::vector<TableStat> tables;  // in schema order
  MapInfo map;                    // size, use, page size, readers
  uint64_t revision = 0;          // the last committed revision
};

// Database::Verify: every index against the records.
struct VerifyReport {
  uint64_t records = 0;  // records read
  uint64_t entries = 0;  // index entries read
  // Each mismatch: "permits.idx.by_county: missing entry for record
  // 0192...", "notes: orphan: record 0193... has no parent 0192...".
  std::vector<std::string> mismatches;
  // Indexes not checked because they are not ready: "permits.by_fee".
  std::vector<std::string> building;
  bool ok() const { return mismatches.empty(); }
};

// The size of one LMDB database of a table: its records, or one index.
struct DatabaseStats {
  std::string table;     // "permits"
  std::string database;  // "permits", "permits.idx.by_county"
  uint64_t entries = 0;
  uint64_t pages = 0;  // branch + leaf + overflow
};

class Database {
 public:
  static absl::StatusOr<std::unique_ptr<Database>> Open(
      const DatabaseOptions& options, const std::vector<TableSpec>& tables);
  // Finishes queued writes, then closes the environment.
  ~Database();

  // The table named `name`, or nullptr.
  Table* table(absl::string_view name) const;
  const std::vector<std::unique_ptr<Table>>& tables() const { return tables_; }

  // mdb_stat of every table's records and indexes, in table order, from one
  // read snapshot (for metrics; cheap: reads the databases' roots only).
  absl::StatusOr<std::vector<DatabaseStats>> Stats() const;

  // Records, pages and index build states of every table, the map and the
  // readers, and the last revision, from one read snapshot.
  absl::StatusOr<DatabaseStat> Stat() const;

  // Compares every ready index with the records, and every child record
  // with its parent, from one read snapshot; writes nothing. Indexes not
  // ready (IndexBuilds) are listed in `building`, not checked. `on_table`,
  // when set, is called after each table with the records read so far.
  absl::StatusOr<VerifyReport> Verify(
      const std::function<void(uint64_t records)>& on_table = nullptr) const;

  // Applies every write of `commit` under one revision, or none of them
  // (storage/commit.h); `done` runs on the writer thread once durable.
  // `commit` gets the revision, each write its key, stored record and
  // version.
  void Commit(std::shared_ptr<storage::Commit> commit, Writer::Done done);
  // The same, blocking until durable.
  absl::Status Commit(storage::Commit& commit);

  // Makes this database one replica of a replicated shard
  // (docs/REPLICATION.md): from now on every write is a command proposed
  // through `replicator` by the leader and applied by every replica in log
  // order (Writer::ApplyEntry); a follower refuses writes with NOT_LEADER.
  // `replica_id` tells this replica's proposals apart; `proposals_in_flight`
  // as Writer::Replication's. Before any write.
  absl::Status Replicate(Replicator* replicator, uint64_t replica_id,
                         size_t proposals_in_flight = 1);

  // The build state of every index, in table and index order
  // (storage/index_build.h).
  std::vector<IndexBuildProgress> IndexBuilds() const;
  // Starts rebuilding `index` of `table` online (empty index: every index
  // of the table; empty table: of every table). Returns the indexes started
  // ("permits.by_county"); NOT_FOUND naming an unknown table or index.
  absl::StatusOr<std::vector<std::string>> Rebuild(absl::string_view table,
                                                   absl::string_view index);
  // Blocks until no index is being built (tests, offline tools); a failed
  // build is not an error here (IndexBuilds reports it). FAILED_PRECONDITION
  // when indexes are building but nothing builds them (read_only).
  absl::Status WaitForIndexBuilds();

  // Every committed write, in revision order (for Watch).
  const ChangeLog& changes() const { return *changes_; }

  Environment& env() { return *env_; }
  Writer& writer() { return *writer_; }
  // What Open did beyond opening, e.g. "building index permits.idx.by_date
  // v1 (…)" (started online) or "dropped index permits.idx.by_fee".
  const std::vector<std::string>& open_log() const { return open_log_; }

 private:
  Database() = default;
  // Checks `schemas` against the schema the directory records, from a read
  // transaction; true when `record` (theirs) differs from it.
  absl::StatusOr<bool> CheckStoredSchema(
      const std::vector<TableSchema>& schemas, absl::string_view record);
  // Opens every table in one write transaction, building the indexes that
  // changed since the last open and recording `record` when not empty; in
  // one read transaction when read-only. Its phases follow.
  absl::Status OpenTables(const std::vector<TableSchema>& schemas,
                          const DatabaseOptions& opts,
                          absl::string_view record);
  // Opens __lmdbapi_meta and checks its format version (writes it when new).
  absl::StatusOr<MDB_dbi> OpenMetaInTxn(MDB_txn* txn);
  // Opens (creating) a table's databases: records, versions, indexes.
  absl::StatusOr<std::unique_ptr<Table>> OpenTableInTxn(
      MDB_txn* txn, const TableSchema& schema, MDB_dbi meta);
  // Has the writer publish the revision each batch commits
  // (Writer::committed_revision), from the one stored now.
  absl::Status TrackRevision();
  // Moves the revision counter past the floor a rollback left, if any.
  absl::Status RaiseRevisionToFloor();
  // Gives every table the change log and clock, its parent and children.
  void LinkTables();
  // Rebuilds the table's indexes that are new or whose definition differs
  // from the one recorded in meta, and records their new definitions.
  absl::Status BuildIndexesInTxn(MDB_txn* txn, MDB_dbi meta,
                                 const Table& table);
  // Read-only: FAILED_PRECONDITION unless every index of the table is built
  // with its definition.
  absl::Status CheckIndexesBuiltInTxn(MDB_txn* txn, MDB_dbi meta,
                                      const Table& table) const;
  // Drops the indexes meta records that the table no longer declares.
  absl::Status DropIndexesInTxn(MDB_txn* txn, MDB_dbi meta, const Table& table);
  // The page-token key from __lmdbapi_meta, or a new one from getrandom(2)
  // (none yet, or `rotate`), stored in the same transaction.
  absl::Status LoadOrMakeSecret(MDB_txn* txn, MDB_dbi meta, bool rotate);
  // Commit's steps (database_commit.cc).
  // `prepared_value` not empty: an Insert's or Update's record as a leader
  // prepared it (a replicated command's), prepared from those bytes.
  static absl::Status PrepareWrite(std::vector<CommitWrite>& writes, size_t i,
                                   absl::string_view prepared_value,
                                   std::optional<Table::Prepared>* prepared);
  absl::Status CheckCondition(MDB_txn* txn,
                              const CommitCondition& condition) const;
  static absl::Status ApplyWrite(MDB_txn* txn, CommitWrite& write,
                                 const std::optional<Table::Prepared>& p);
  using PreparedWrites = std::vector<std::optional<Table::Prepared>>;
  // Prepares every write and checks every condition's key, on the caller's
  // thread; errors name the write or precondition. `prepared_values`, by
  // write: a replicated command's records as the leader prepared them
  // (PrepareWrite).
  static absl::Status PrepareCommit(
      storage::Commit& commit, bool one_revision, PreparedWrites* prepared,
      const std::vector<std::string>* prepared_values = nullptr);
  // `status` of write `i`, named as its caller knows it: "writes[i]" in a
  // Transactions commit, "records[i]" in a BatchInsert, nothing alone.
  static absl::Status WriteError(const storage::Commit& commit,
                                 bool one_revision, size_t i,
                                 absl::Status status);
  // A commit's writes in `txn`: all under one revision with its
  // preconditions first (`one_revision`: Transactions), else one after
  // another, each at its own revision (the table writes: Insert, …,
  // BatchInsert). Commit's and every replica's apply.
  absl::Status ApplyCommitInTxn(MDB_txn* txn, storage::Commit& commit,
                                const PreparedWrites& prepared,
                                bool one_revision);

  // Replicated shards (database_command.cc): a commit as a command, queued
  // on the leader's writer (`done` as Commit's), and a command applied on a
  // replica. Table writes go through SubmitCommand too.
  friend class Table;
  void SubmitCommand(std::shared_ptr<storage::Commit> commit, bool one_revision,
                     Writer::Done done);
  absl::Status ApplyCommand(MDB_txn* txn, absl::string_view command);

  std::unique_ptr<Environment> env_;
  std::unique_ptr<Writer> writer_;
  std::unique_ptr<google::protobuf::DynamicMessageFactory> dynamic_factory_;
  std::vector<std::unique_ptr<Table>> tables_;
  // Builds indexes online; stopped before the writer.
  std::unique_ptr<IndexBuilder> builder_;
  std::unique_ptr<ChangeLog> changes_;
  std::unique_ptr<RevisionClock> clock_;
  MDB_dbi meta_ = 0;
  TokenSecret secret_{};
  bool read_only_ = false;
  std::vector<std::string> open_log_;
};

}  // namespace lmdbapi::storage

#endif  // LMDBAPI_STORAGE_DATABASE_H_
