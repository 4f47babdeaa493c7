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

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
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

class PackedEntries;  // storage/packed_entries.h

class IndexBuilder {
 public:
  // Records per chunk by default, and the record bytes after which a chunk
  // ends early.
  static constexpr size_t kChunkRecords = 65536;
  static constexpr size_t kChunkBytes = 16 << 20;

  // Builds the indexes of `tables`, whose build records are in `meta`,
  // working `share` of the time (0 < share <= 1): after each chunk it rests
  // for the chunk's time × (1 - share) / share, leaving the CPU and the
  // writer to the calls meanwhile. A chunk reads up to `chunk_records`
  // records (0: kChunkRecords) and indexes them for every building index of
  // their table that has reached the same record. The builder's thread
  // runs at CPU priority `nice` (0: the process's) and applies each chunk
  // itself in the writer's lent transaction (storage/lent_transaction.h):
  // a positive `nice` puts the other threads of the machine first (at 19
  // the build takes only the CPU they leave).
  IndexBuilder(MDB_dbi meta, std::vector<Table*> tables, double share = 1,
               size_t chunk_records = 0, int nice = 0);
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
  // Runs on the builder's thread between reading a chunk ahead and the
  // writer's turn to write it (a test seam); set before Start.
  void set_before_write(std::function<void()> hook) {
    before_write_ = std::move(hook);
  }
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
  // What one chunk did to one index (set on the writer thread; reset on
  // each attempt).
  struct ChunkResult {
    Slot* slot = nullptr;
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
  // A chunk (storage/index_builder_chunk.cc): the indexes it builds, what
  // it read, and what the builder read ahead of the writer.
  struct ChunkPart;
  struct ChunkRead;
  struct ChunkAhead;
  class RecordKeys;  // a chunk record's entries (index_builder_chunk.cc)
  // The indexes a chunk led by `lead` builds: `lead` and the table's other
  // building indexes whose cursor is `lead`'s, with their build records. A
  // lead no longer building gets a stale result and no part.
  absl::Status PartsInTxn(MDB_txn* txn, Slot* lead,
                          std::vector<ChunkResult>* results,
                          std::vector<ChunkPart>* parts);
  // Reads the chunk's records after the parts' cursor, adding each one's
  // entries to every part's (read off its bytes once, or parsed once:
  // RecordKeys), then sorts those; with `copy`, keeps a copy of each record.
  absl::Status ReadChunk(MDB_txn* txn, const Table& table,
                         std::vector<ChunkPart>& parts, bool copy,
                         ChunkRead* read) const;
  // The next chunk of `lead`, read in a snapshot of its own; nullptr when
  // there is none to read or the read failed (the writer's turn reads).
  std::unique_ptr<ChunkAhead> ReadAhead(Slot* lead);
  // Whether `txn` holds what `ahead` read: the same builds at the same
  // cursors, the same records with the same bytes.
  absl::StatusOr<bool> StillStored(MDB_txn* txn, const Table& table,
                                   const std::vector<ChunkPart>& parts,
                                   const ChunkAhead& ahead) const;
  // Indexes the next chunk of `lead`'s table for the parts: with what
  // `ahead` read (may be null) when it still holds, else reading in `txn`.
  absl::Status ChunkInTxn(MDB_txn* txn, Slot* lead, const ChunkAhead* ahead,
                          std::vector<ChunkResult>* results);
  // Puts each part's entries (those of `entries`' part at its position)
  // and records the part's progress after `read`.
  absl::Status WriteChunk(MDB_txn* txn, const std::vector<ChunkPart>& entries,
                          const ChunkRead& read, std::vector<ChunkPart>& parts,
                          std::vector<ChunkResult>* results) const;
  absl::Status PutPartInTxn(MDB_txn* txn, const ChunkPart& part,
                            const PackedEntries& entries, bool done,
                            ChunkResult* result) const;
  // Marks the build failed with `error`, in meta and in memory.
  absl::Status FailInTxn(MDB_txn* txn, const Slot& slot,
                         const std::string& error) const;
  void Record(Slot* lead, const std::vector<ChunkResult>& results,
              const absl::Status& s);
  absl::Status RebuildOne(Slot* slot);
  absl::StatusOr<std::vector<Slot*>> Select(absl::string_view table,
                                            absl::string_view index);

  // How long to rest after a chunk that took `worked`.
  absl::Duration RestAfter(absl::Duration worked) const;

  Writer* writer_ = nullptr;
  std::function<void()> before_write_;
  const MDB_dbi meta_;
  const double share_;
  const size_t chunk_records_;
  const int nice_;
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
