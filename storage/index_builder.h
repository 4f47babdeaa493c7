// The background builder of online index builds (storage/index_build.h):
// one thread per Database that builds the indexes recorded as building in
// __lmdbapi_meta, one chunk of records per short write transaction through
// the group-commit writer (so chunks serialize with writes).
//
// Meta records one key per index being built or failed, beside the
// definition ("index/<table>/<index>"):
//   "index_build/<table>/<index>" ->
//     'b' fixed64 built, fixed64 total, 1 byte has-cursor, cursor (the last
//         primary key indexed)
//     'f' the error of a failed build
// A ready index has no such key. Each chunk reads the records after the
// cursor, puts their entries and writes the new cursor in one transaction,
// so a restart resumes where the last committed chunk ended.
//
// Writes maintain every index that is building or ready (an entry a write
// deletes before the build reached its record is simply absent); a failed
// index is neither maintained nor used.
#ifndef LMDBAPI_STORAGE_INDEX_BUILDER_H_
#define LMDBAPI_STORAGE_INDEX_BUILDER_H_

#include <lmdb.h>

#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "storage/index_build.h"
#include "storage/table.h"
#include "storage/writer.h"

namespace lmdbapi::storage {

class IndexBuilder {
 public:
  // Records per chunk, and the record bytes after which a chunk ends early.
  static constexpr size_t kChunkRecords = 2000;
  static constexpr size_t kChunkBytes = 4 << 20;

  // Builds the indexes of `tables`, whose build records are in `meta`,
  // working `share` of the time (0 < share <= 1): after each chunk it rests
  // for the chunk's time × (1 - share) / share, leaving the CPU and the
  // writer to the calls meanwhile.
  IndexBuilder(MDB_dbi meta, std::vector<Table*> tables, double share = 1);
  ~IndexBuilder();  // Stop()s.
  IndexBuilder(const IndexBuilder&) = delete;
  IndexBuilder& operator=(const IndexBuilder&) = delete;

  // Index `i` of `table` is to be built from nothing: empties its database
  // and records it as building with a cursor before the first record (or,
  // for an empty table, as ready). Returns the table's records.
  static absl::StatusOr<uint64_t> MarkBuildingInTxn(MDB_txn* txn, MDB_dbi meta,
                                                    const Table& table,
                                                    size_t i);
  // Removes the build record of a dropped index.
  static absl::Status ForgetInTxn(MDB_txn* txn, MDB_dbi meta,
                                  absl::string_view table,
                                  absl::string_view index);
  // Reads every index's build record, setting the tables' index states.
  absl::Status Load(MDB_txn* txn);

  // The writer chunks go through; set before Start and Rebuild.
  void set_writer(Writer* writer) { writer_ = writer; }
  // Starts the thread (not for a read-only database: builds stay pending).
  void Start();
  // Stops after the chunk under way; the builds resume on the next open.
  void Stop();

  std::vector<IndexBuildProgress> Progress() const;
  // Why index `i` of `table` is not used ("building 41%", "failed: …").
  std::string NotReadyReason(const Table& table, size_t i) const;
  // Database::Rebuild's contract.
  absl::StatusOr<std::vector<std::string>> Rebuild(absl::string_view table,
                                                   absl::string_view index);
  // Blocks until no index is building; FAILED_PRECONDITION when some are
  // but the thread is not running.
  absl::Status Wait();

 private:
  struct Slot {
    Table* table;
    size_t index;  // in table->indexes_
    uint64_t built = 0;
    uint64_t total = 0;
    std::string error;
    // Bumped by each Rebuild (on the writer thread): a chunk's outcome
    // from before it is ignored.
    uint64_t generation = 0;
  };
  // What one chunk did (set on the writer thread; reset on each attempt).
  struct ChunkResult {
    bool stale = false;  // no longer building (nothing done)
    uint64_t generation = 0;
    bool done = false;  // the last record is indexed: ready
    uint64_t built = 0;
    uint64_t total = 0;
    std::string error;  // the build failed
  };

  void Run();
  // The next slot that is building, or nullptr once stopping.
  Slot* Next();
  absl::Status ChunkInTxn(MDB_txn* txn, const Slot& slot,
                          ChunkResult* result) const;
  // Marks the build failed with `error`, in meta and in memory.
  absl::Status FailInTxn(MDB_txn* txn, const Slot& slot,
                         const std::string& error) const;
  void Record(Slot* slot, const ChunkResult& result, const absl::Status& s);
  absl::Status RebuildOne(Slot* slot);
  absl::StatusOr<std::vector<Slot*>> Select(absl::string_view table,
                                            absl::string_view index);

  // How long to rest after a chunk that took `worked`.
  absl::Duration RestAfter(absl::Duration worked) const;

  Writer* writer_ = nullptr;
  const MDB_dbi meta_;
  const double share_;
  mutable absl::Mutex mu_;
  std::vector<Slot> slots_ ABSL_GUARDED_BY(mu_);
  bool running_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  size_t next_ ABSL_GUARDED_BY(mu_) = 0;  // round robin over slots
  // The slot whose chunk is under way, until its outcome is recorded.
  Slot* in_chunk_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::thread thread_;
};

}  // namespace lmdbapi::storage

#endif  // LMDBAPI_STORAGE_INDEX_BUILDER_H_
