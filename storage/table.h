// One table of protobuf records: CRUD, filter/paginate, index maintenance.
//
// Records are stored under their primary key as deterministic proto
// serialization; every write changes the record and all of its index
// entries in one transaction, through the database's group-commit writer.
// Reads use read-only snapshots and never block writes.
//
// Secondary tables: a record of a table with a parent can only be inserted
// (or moved) under a parent that exists, else FAILED_PRECONDITION. Deleting
// a parent deletes its children (and theirs) in the same transaction.
//
// Thread-safe. Every write has one shape: what to write, then its
// WriteOptions (conditions and outputs; BatchInsert has none), then `done`,
// which the writer thread calls once the write is durable or failed (`done`
// must be quick and must not wait on another write). Each write also has a
// blocking form with the same arguments and no `done`, whose options default
// to none:
//
//   absl::Status inserted = table->Insert(&record);  // blocks
//   WriteOptions options;
//   options.expected_revision = revision;  // else ABORTED
//   table->Update(record, options, [](absl::Status status) { ... });
#ifndef LMDBAPI_STORAGE_TABLE_H_
#define LMDBAPI_STORAGE_TABLE_H_

#include <lmdb.h>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "google/protobuf/message.h"
#include "model/request_layout.h"
#include "storage/canonical_record.h"
#include "storage/change_log.h"
#include "storage/commit.h"
#include "storage/environment.h"
#include "storage/index_build.h"
#include "storage/index_key.h"
#include "storage/page_token.h"
#include "storage/plan_cache.h"
#include "storage/query.h"
#include "storage/record_version.h"
#include "storage/revision_clock.h"
#include "storage/schema.h"
#include "storage/stored_record.h"
#include "storage/wire_record.h"
#include "storage/writer.h"

namespace lmdbapi::storage {

struct FilterResult {
  // The plan used: plan->description explains it. Shared with the calls
  // that ask the same query (storage/plan_cache.h).
  std::shared_ptr<const PreparedPlan> plan;
  std::string next_page_token;  // empty on the last page
  size_t scanned = 0;           // entries read to produce the page
};

struct CountResult {
  uint64_t count = 0;                        // records that match
  std::shared_ptr<const PreparedPlan> plan;  // as Filter's
  size_t scanned = 0;                        // entries read
  bool index_only = false;  // answered from index entries, no record read
};

struct IndexMismatch {
  enum class Kind {
    kMissing,   // a record has no entry in the index
    kDangling,  // an entry points at no record, or at one with other values
    kOrphan,    // a child record whose parent does not exist
  };
  Kind kind;
  std::string index;
  std::string primary_key;
  std::string entry_key;  // the index key, hex-escaped
  std::string DebugString() const;
};

struct IndexReport {
  size_t records = 0;
  size_t entries = 0;
  std::vector<IndexMismatch> mismatches;  // every one found
  // Indexes not compared because they are not ready: "by_fee (building)".
  std::vector<std::string> skipped;
  bool ok() const { return mismatches.empty(); }
};

// Where an Insert or Update sends the record it wrote, as a Get answers it:
// its stored bytes, then its version fields (together they parse as the
// record with its version). Take runs on the writer's thread, before the
// commit; a batch that fails and reruns calls it again, and only `done`
// says whether the write stands.
class WriteAnswer {
 public:
  virtual ~WriteAnswer() = default;
  virtual void Take(absl::string_view stored,
                    absl::string_view version_fields) = 0;
};

// The knobs of one write, in the spirit of LevelDB's WriteOptions. An
// operation that cannot honour a knob refuses it (INVALID_ARGUMENT) rather
// than ignore it: Insert takes no expected_revision, Delete gives no version.
struct WriteOptions {
  // Update, Patch, Delete: not 0, the write is ABORTED unless the stored
  // record is at this revision (optimistic concurrency); 0, any revision.
  uint64_t expected_revision = 0;
  // Insert, Update, Patch: not null, gets the version written. For the
  // asynchronous form it must stay alive until `done` runs.
  RecordVersion* version = nullptr;
  // Insert, Update: not null, takes the record written as a Get answers it,
  // and the record's own version fields are left as they were. Lives as
  // long as `version`.
  WriteAnswer* answer = nullptr;
  // Not applied, and DEADLINE_EXCEEDED, when this passes before the writer
  // takes the write (a caller's deadline: nobody waits for the answer).
  WriteDeadline deadline = WriteDeadline::max();
};

struct TableOptions {
  size_t default_page_size = model::layout::kDefaultPageSize;
  size_t max_page_size = model::layout::kMaxPageSize;
  // The last byte of every primary key this table generates (NewUuidV7),
  // or random without one.
  std::optional<uint8_t> uuid_tag;
};

class Database;
class IndexBuilder;

class Table {
 public:
  using Done = Writer::Done;

  const TableSchema& schema() const { return schema_; }
  const std::string& name() const { return schema_.name; }

  // Reads the record with primary key `pk` into `record` (with the
  // schema's revision/time fields set) and, if asked, its version. NOT_FOUND
  // when there is none.
  absl::Status Get(absl::string_view pk, google::protobuf::Message* record,
                   RecordVersion* version = nullptr) const;
  // The same record as its wire bytes, never parsed: the stored bytes with
  // the schema's revision/time fields appended (they parse as Get's
  // record), and its version.
  absl::Status GetWire(absl::string_view pk, std::string* wire,
                       RecordVersion* version) const;
  // The same bytes in two parts, given to `take` during the call (no copy
  // here): the stored record and the version fields to append to it.
  absl::Status GetWire(absl::string_view pk,
                       absl::FunctionRef<void(absl::string_view stored,
                                              absl::string_view version_fields)>
                           take,
                       RecordVersion* version) const;

  // Runs a query. Each matching record is parsed into a message that
  // `add_record` returns (e.g. a repeated field's Add), in index order, at
  // most page_size of them. The result names the plan and the token of the
  // next page.
  absl::StatusOr<FilterResult> Filter(
      const Query& query,
      absl::FunctionRef<google::protobuf::Message*()> add_record) const;
  // The same page as wire bytes, as GetWire's: each matching record's
  // stored bytes and the version fields to append to them (empty when the
  // schema has none) go to `add`, valid during the call. A record is parsed
  // only when the residual cannot be decided on its bytes
  // (storage/wire_filter.h), and never serialized again. The result goes to
  // `result`, a default one (a FilterResult holds a Plan, costly to move).
  absl::Status FilterWire(
      const Query& query,
      absl::FunctionRef<void(absl::string_view stored,
                             absl::string_view version_fields)>
          add,
      FilterResult* result) const;
  // How many records a page of `query` holds at most.
  size_t PageSizeOf(const Query& query) const;
  // The plan a query would use, as Plan::Describe() text.
  absl::StatusOr<std::string> Explain(
      const std::vector<Predicate>& predicates) const;
  // Number of records.
  absl::StatusOr<uint64_t> Count() const;
  // Number of records that match the query's predicates and filter (its
  // order_by and page fields play no part), from the index entries alone
  // when the plan leaves no residual.
  absl::StatusOr<CountResult> Count(const Query& query) const;

  // Inserts `record`, first setting its primary key to a new UUIDv7 when it
  // is empty, and sets its version fields. ALREADY_EXISTS on a duplicate key
  // or unique-index clash. `record` must stay alive until `done` runs.
  void Insert(google::protobuf::Message* record, const WriteOptions& options,
              Done done);
  absl::Status Insert(google::protobuf::Message* record,
                      const WriteOptions& options = {});
  // Insert of the record that Canonical `bytes` parse as, stored as they
  // are where Prepare's checks and index entries can be read from them:
  // no parse, no serialization. The record is answered only through
  // `options.answer` (required). Not on a replicated shard: its commands
  // carry a parsed record (Insert).
  void InsertCanonical(absl::string_view bytes, const WriteOptions& options,
                       Done done);
  bool replicated() const { return writer_->replicated(); }
  // Inserts all records or none, as Insert; errors name the failing record's
  // position. No options: a batch has no condition, and each record gets its
  // own version fields.
  void BatchInsert(std::vector<google::protobuf::Message*> records, Done done);
  absl::Status BatchInsert(
      absl::Span<google::protobuf::Message* const> records);
  // Replaces the record with the same primary key. NOT_FOUND when absent;
  // ABORTED on a stale options.expected_revision.
  void Update(const google::protobuf::Message& record,
              const WriteOptions& options, Done done);
  absl::Status Update(const google::protobuf::Message& record,
                      const WriteOptions& options = {});
  // Sets the fields of the stored record named by `paths` (the update mask:
  // field names, dotted for nested messages) to their values in `patch`
  // (whose primary key names the record), in one transaction: read, merge,
  // revalidate, write. `result` (alive until `done`) gets the record as
  // stored. INVALID_ARGUMENT for a path the record does not have; NOT_FOUND
  // and ABORTED as Update.
  void Patch(const google::protobuf::Message& patch,
             std::vector<std::string> paths, google::protobuf::Message* result,
             const WriteOptions& options, Done done);
  absl::Status Patch(const google::protobuf::Message& patch,
                     std::vector<std::string> paths,
                     google::protobuf::Message* result,
                     const WriteOptions& options = {});
  // Deletes the record and, for a parent, its children. NOT_FOUND when
  // absent; ABORTED as Update.
  void Delete(absl::string_view pk, const WriteOptions& options, Done done);
  absl::Status Delete(absl::string_view pk, const WriteOptions& options = {});

  // Rebuilds every index of the table from its records ("composite
  // index recovery") through Database::Rebuild (online, in chunks) and
  // waits until they are built; ALREADY_EXISTS when a unique index meets a
  // duplicate (the index is then failed: storage/index_build.h).
  absl::Status RebuildIndexes();
  // Compares every ready index with the records and reports each mismatch;
  // an index being built (or failed) is not compared but named in
  // report.skipped.
  absl::StatusOr<IndexReport> VerifyIndexes() const;
  // The same in `txn` for the indexes `check` accepts, adding to `report`
  // (Database::Verify: every table from one snapshot).
  absl::Status VerifyIndexesInTxn(
      MDB_txn* txn, absl::FunctionRef<bool(const IndexSchema&)> check,
      IndexReport* report) const;

  // The build state of index `i` (in schema().indexes order).
  IndexState index_state(size_t i) const {
    return index_states_[i].load(std::memory_order_acquire);
  }

  // Whether `bytes` are a canonical record of this table
  // (storage/canonical_record.h): an import stores them as they are.
  bool Canonical(absl::string_view bytes) const;

 private:
  friend class Database;
  friend class IndexBuilder;
  friend class Importer;        // storage/importer.h
  friend class SnapshotExport;  // storage/snapshot_export.h
  struct Index {
    const IndexSchema* schema;
    MDB_dbi dbi;
  };
  class QueryRun;  // one Filter or Count call (table_query.cc)
  // Takes a record of a Filter's page, in the page's read transaction: its
  // key, its stored bytes and version (VersionOf), and the record parsed
  // when checking the residual needed it (else null; the callee may swap it
  // away).
  using TakeRecord = absl::FunctionRef<absl::Status(
      MDB_txn* txn, absl::string_view pk, const StoredRecord& stored,
      google::protobuf::Message* parsed)>;
  // Filter and FilterWire: plans `query` and reads its page through `take`
  // into `result`, a default one.
  absl::Status FilterPage(const Query& query, TakeRecord take,
                          FilterResult* result) const;
  // The database of `index`'s entries; the records' for nullptr.
  MDB_dbi DbiOf(const IndexSchema* index) const;
  // What a write needs, computed on the caller's thread.
  struct Prepared {
    std::string pk;
    std::string value;
    std::string parent_pk;
    RecordEntries entries;  // in each index, in schema order
  };

  Table(TableSchema schema, Environment* env, Writer* writer, MDB_dbi records,
        std::vector<MDB_dbi> index_dbis, MDB_dbi versions, MDB_dbi meta,
        const TokenSecret* secret, const google::protobuf::Message* prototype,
        TableOptions options);

  absl::StatusOr<Prepared> Prepare(
      const google::protobuf::Message& record) const;
  // Prepare() after giving a record without a key a new UUIDv7.
  absl::StatusOr<Prepared> PrepareInsert(
      google::protobuf::Message* record) const;
  // PrepareInsert of the record that Canonical `bytes` parse as: the same
  // result, with the bytes stored as they are when Prepare's checks and
  // index entries can be read from them (else they are parsed).
  absl::StatusOr<Prepared> PrepareCanonical(absl::string_view bytes) const;
  // Queues the insert of `prepared`: its version goes to options.version,
  // its stored bytes to options.answer, else its version fields to `record`.
  void SubmitInsert(std::shared_ptr<const Prepared> prepared,
                    google::protobuf::Message* record,
                    const WriteOptions& options, Done done);
  absl::Status CheckPrimaryKey(absl::string_view pk) const;
  // A Patch's record type, key and paths (INVALID_ARGUMENT naming them).
  absl::Status CheckPatch(const google::protobuf::Message& patch,
                          const std::vector<std::string>& paths) const;
  // A stored record (storage/stored_record.h): its bytes and version.
  struct Stored {
    absl::string_view bytes;
    RecordVersion version;
    bool legacy = false;  // format 1: its version is in the versions database
  };
  // The record stored under `pk` in `txn` (NOT_FOUND naming it when absent).
  absl::StatusOr<Stored> ReadStored(MDB_txn* txn, absl::string_view pk) const;
  // `value`, as the records database holds it under `pk`, unpacked.
  absl::StatusOr<Stored> Unpack(MDB_txn* txn, absl::string_view pk,
                                absl::string_view value) const;
  // The version of a record read as `stored` (format 1: from versions_).
  absl::StatusOr<RecordVersion> VersionOf(MDB_txn* txn, absl::string_view pk,
                                          const StoredRecord& stored) const;
  absl::Status ParseRecord(absl::string_view pk, absl::string_view bytes,
                           google::protobuf::Message* record) const;
  absl::Status EntriesOf(const google::protobuf::Message& record,
                         absl::string_view pk, RecordEntries* entries) const;

  // Transaction-level steps, run on the writer thread. Each write takes the
  // next revision and records the new version (`version` may be null).
  absl::Status InsertInTxn(MDB_txn* txn, const Prepared& prepared,
                           RecordVersion* version) const;
  absl::Status UpdateInTxn(MDB_txn* txn, const Prepared& prepared,
                           uint64_t expected_revision,
                           RecordVersion* version) const;
  absl::Status PatchInTxn(MDB_txn* txn, const google::protobuf::Message& patch,
                          const std::vector<std::string>& paths,
                          uint64_t expected_revision,
                          google::protobuf::Message* result,
                          RecordVersion* version) const;
  absl::Status DeleteInTxn(MDB_txn* txn, absl::string_view pk,
                           uint64_t expected_revision) const;
  // Stores `value` under `pk` (PutRecord, `flags`) at the next revision,
  // and appends the change (an insert when `create_micros` is 0) to the
  // change log.
  absl::Status WriteRecordInTxn(MDB_txn* txn, absl::string_view pk,
                                int64_t create_micros, absl::string_view value,
                                unsigned flags, RecordVersion* version) const;
  bool has_version_fields() const {
    return schema_.revision.field != nullptr ||
           schema_.create_time.field != nullptr ||
           schema_.update_time.field != nullptr;
  }
  absl::Status CheckParentInTxn(MDB_txn* txn, const Prepared& prepared) const;
  // On a replicated shard, a write goes as a command
  // (Database::SubmitCommand) made of `writes` on this table; `finish` gets
  // them back applied, to give the caller its outputs, before `done`.
  void SubmitCommand(std::vector<CommitWrite> writes, WriteDeadline deadline,
                     std::function<void(std::vector<CommitWrite>&)> finish,
                     Done done);
  // A write of `kind` on this table, of a copy of `record` (none: null).
  CommitWrite CommandWrite(CommitWrite::Kind kind,
                           const google::protobuf::Message* record);
  // Whether writes keep index `i` (it is ready or being built).
  bool Maintained(size_t i) const {
    return index_state(i) != IndexState::kFailed;
  }
  // Which indexes are ready now: empty when every one is (the usual case,
  // which allocates nothing), else a flag per index. An index is complete
  // in a read snapshot when it was ready before the snapshot began and
  // still is after (ready is set once the last chunk is durable; building
  // before the index is emptied): read this, begin the snapshot, then ask
  // Readiness.
  std::vector<bool> ReadyIndexes() const;
  static bool WasReady(const std::vector<bool>& ready_before, size_t i) {
    return ready_before.empty() || ready_before[i];
  }
  // The planner's view of which indexes it may use (storage/query.h):
  // those ready in `ready_before` that are still ready.
  IndexReadiness Readiness(std::vector<bool> ready_before) const;
  // `query`'s plan with the indexes ready in `ready_before` that are still
  // ready: the one kept for it when every index is, else a new one.
  absl::StatusOr<std::shared_ptr<const PreparedPlan>> PlanOf(
      const Query& query, std::vector<bool> ready_before) const;
  // Stores `record` under `pk` at `version` (format 2).
  absl::Status PutRecord(MDB_txn* txn, absl::string_view pk,
                         const RecordVersion& version, absl::string_view record,
                         unsigned flags) const;
  absl::Status PutEntry(MDB_txn* txn, const Index& index,
                        const IndexEntry& entry, absl::string_view pk) const;
  // A record's entries in one index, from `before` to `after` (each sorted
  // by key): deletes those only before has, then puts those only after has.
  absl::Status ReplaceEntries(MDB_txn* txn, const Index& index,
                              absl::Span<const IndexEntry> before,
                              absl::Span<const IndexEntry> after,
                              absl::string_view pk) const;
  // Rebuild steps (index_maintenance.cc).
  absl::Status RebuildInTxn(MDB_txn* txn,
                            absl::Span<const Index> indexes) const;
  // Verify steps: every child's parent exists; one index holds `want`.
  absl::Status CheckParents(MDB_txn* txn, IndexReport* report) const;
  absl::Status CompareIndex(MDB_txn* txn, const Index& index,
                            std::vector<IndexEntry> want,
                            IndexReport* report) const;

  TableSchema schema_;
  Environment* env_;
  Writer* writer_;
  MDB_dbi records_;
  MDB_dbi versions_;  // "__versions.<table>": format 1's versions
  MDB_dbi meta_;      // the database's meta: the revision counter
  const ChangeLog* changes_ = nullptr;  // set by Database
  RevisionClock* clock_ = nullptr;      // set by Database; writer thread
  std::vector<Index> indexes_;
  // Per index: written by the index builder (on the writer thread, or
  // before any write); a failed index is neither maintained nor read.
  std::unique_ptr<std::atomic<IndexState>[]> index_states_;
  IndexBuilder* builder_ = nullptr;  // set by Database
  Database* database_ = nullptr;     // set by Database
  const Table* parent_ = nullptr;
  std::vector<const Table*> children_;
  const TokenSecret* secret_;
  const google::protobuf::Message* prototype_;
  TableOptions options_;
  // Prepare's checks and index entries read from the record's bytes.
  std::unique_ptr<const WireRecord> wire_;
  // Which received bytes an import may store as they are.
  std::unique_ptr<const CanonicalRecord> canonical_;
  // The plans of recent queries (PlanOf).
  std::unique_ptr<PlanCache> plans_ = std::make_unique<PlanCache>();
};

}  // namespace lmdbapi::storage

#endif  // LMDBAPI_STORAGE_TABLE_H_
