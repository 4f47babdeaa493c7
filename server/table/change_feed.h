// Watch (the generated per-table server-streaming RPC): streams follow the
// database's change log (storage/change_log.h) from a revision on.
//
// ChangeFeed is woken by the writer after each commit and, on its own
// thread, lets every open stream read what is new (never the writer's or
// gRPC's threads). A WatchCursor reads one stream's next changes: its
// table's, matching its filter, in revision order, from where it stopped, so
// nothing is skipped or repeated; it answers OUT_OF_RANGE once the log no
// longer holds its next revision.
#ifndef LMDBAPI_SERVER_TABLE_CHANGE_FEED_H_
#define LMDBAPI_SERVER_TABLE_CHANGE_FEED_H_

#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "storage/database.h"
#include "storage/query.h"

namespace lmdbapi::server {

class WatchCursor {
 public:
  // `request` is a generated Watch request (start_revision, filter).
  // INVALID_ARGUMENT for a malformed filter or a negative start_revision,
  // OUT_OF_RANGE when start_revision is older than the log holds.
  static absl::StatusOr<WatchCursor> Open(
      storage::Database* db, const storage::Table& table,
      const google::protobuf::Message& request);

  // The next changes of the table that match (at most `limit` read).
  absl::StatusOr<std::vector<storage::Change>> Next(size_t limit = 256);
  uint64_t next_revision() const { return next_; }

 private:
  storage::Database* db_ = nullptr;
  const storage::Table* table_ = nullptr;
  storage::Expr where_;  // the watch's filter
  std::unique_ptr<google::protobuf::Message> scratch_;
  uint64_t next_ = 0;
};

class ChangeFeed {
 public:
  class Stream {
   public:
    virtual ~Stream() = default;
    // Reads and sends what is new; on the feed's thread (or the stream's).
    virtual void Pump() = 0;
    // The server is stopping: finish now.
    virtual void Stop() = 0;
  };

  explicit ChangeFeed(storage::Database* db);
  ~ChangeFeed();  // Close()s

  storage::Database* db() const { return db_; }

  // After a commit: wakes every stream (cheap; from the writer thread).
  void Notify();
  void Add(Stream* stream);
  // Returns once the feed no longer calls `stream`.
  void Remove(Stream* stream);
  // Stops every stream and the thread; later Adds are stopped at once.
  void Close();

 private:
  void Run();

  storage::Database* db_;
  // The writer's side: a flag and a wake-up, never held for long.
  std::mutex wake_mu_;
  std::condition_variable wake_;
  bool dirty_ = false;
  bool closed_ = false;
  // The streams; held while they are pumped. Recursive: a stream that
  // finishes may leave (Remove) from inside its Pump or Stop.
  std::recursive_mutex streams_mu_;
  std::set<Stream*> streams_;
  bool stopped_ = false;  // Close() stopped every stream
  std::thread thread_;
};

// Sets a generated change message (type = 1, revision = 2, record = 3) from
// `change`; the record gets the schema's revision field.
void FillChange(const storage::Change& change,
                const storage::TableSchema& table,
                google::protobuf::Message* out);

}  // namespace lmdbapi::server

#endif  // LMDBAPI_SERVER_TABLE_CHANGE_FEED_H_
