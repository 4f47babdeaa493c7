// AnswerQueue: a thread that goes on with an Import stream once the storage
// writer has committed one of its batches (server/table/import_stream.h):
// the answer, or the next batch, whose preparing (parsing, index keys, ~2
// µs a record) must not hold the writer. The writer only queues the work
// (~0.1 µs) and goes back to writing. Unary writes are answered by the
// writer (storage/writer.h): a hand-off per answer cost more than the ~10 µs
// of gRPC work it moved (docs/BENCHMARKS.md).
#ifndef LMDBAPI_SERVER_TABLE_ANSWER_QUEUE_H_
#define LMDBAPI_SERVER_TABLE_ANSWER_QUEUE_H_

#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace lmdbapi::server {

class AnswerQueue {
 public:
  AnswerQueue();
  ~AnswerQueue();  // runs what is queued, then joins
  AnswerQueue(const AnswerQueue&) = delete;
  AnswerQueue& operator=(const AnswerQueue&) = delete;

  void Post(std::function<void()> answer);

 private:
  void Run();

  absl::Mutex mu_;
  std::vector<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace lmdbapi::server

#endif  // LMDBAPI_SERVER_TABLE_ANSWER_QUEUE_H_
