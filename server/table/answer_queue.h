// AnswerQueue: a thread that finishes gRPC calls on behalf of the storage
// writer. Finishing a call costs ~20 µs of gRPC work (serialize, send); done
// on the writer thread, that would be time the next group commit waits for.
// The writer only queues the answer (~0.1 µs) and goes back to writing.
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
