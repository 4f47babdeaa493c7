// What a read waits for before it reads, from the call's metadata
// (docs/REPLICATION.md, "Reads"), and the revision its answer reflects:
//
//   x-min-revision: N              wait until this replica has applied
//                                  revision N (read your own writes: N is a
//                                  write's etag); up to 5 s and the call's
//                                  deadline, else UNAVAILABLE
//   x-consistency: linearizable    the leader first confirms with a majority
//                                  that it still leads and has applied all
//                                  that was committed (a follower refuses:
//                                  NOT_LEADER, naming the leader)
//
// Every read answers with "x-revision" metadata: the revision of the data
// it read, at least (REST: the X-Revision header).
#ifndef LMDBAPI_SERVER_TABLE_READ_CONSISTENCY_H_
#define LMDBAPI_SERVER_TABLE_READ_CONSISTENCY_H_

#include <functional>
#include <list>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/server_context.h"
#include "storage/writer.h"

namespace lmdbapi::server {

class ReadConsistency {
 public:
  // `replicator`: null unless the database is a replica.
  ReadConsistency(const storage::Writer* writer,
                  storage::Replicator* replicator)
      : writer_(writer), replicator_(replicator) {}

  // What a call's metadata asks of its read: its x-consistency and
  // x-min-revision, "" when absent. Views of the metadata, which lives as
  // long as the call; looked up once per read.
  struct Wants {
    absl::string_view consistency;
    absl::string_view min_revision;
    static Wants Of(const grpc::CallbackServerContext& context);
  };

  // Before a read: OK when it may read now (and `context` has its
  // x-revision), else the status to answer: INVALID_ARGUMENT naming a bad
  // header, UNAVAILABLE when the revision is not reached in time,
  // NOT_LEADER (FAILED_PRECONDITION) for a linearizable read on a follower.
  // `wants`: Wants::Of(*context).
  absl::Status BeforeRead(grpc::CallbackServerContext* context,
                          const Wants& wants) const;

  // Whether BeforeRead would wait: for an x-min-revision this replica has
  // not applied yet, or (on a replica) for a linearizable read's barrier.
  bool MustWait(const Wants& wants) const;
  // Runs `read` on a thread of its own (all joined when this goes). A read
  // that waits there holds none of gRPC's threads, which are few (two on a
  // 2-core machine): two reads waiting on them stalled every other call.
  void RunWaiting(std::function<void()> read) const;
  ~ReadConsistency();

  // The longest a read waits for x-min-revision.
  static constexpr absl::Duration kMaxWait = absl::Seconds(5);

 private:
  absl::Status AwaitLeader(absl::Time deadline) const;
  // Joins the threads whose reads have ended.
  void JoinEnded() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const storage::Writer* writer_;
  storage::Replicator* replicator_;
  mutable absl::Mutex mu_;
  mutable std::list<std::thread> waiting_ ABSL_GUARDED_BY(mu_);
  mutable std::vector<std::thread::id> ended_ ABSL_GUARDED_BY(mu_);
};

}  // namespace lmdbapi::server

#endif  // LMDBAPI_SERVER_TABLE_READ_CONSISTENCY_H_
