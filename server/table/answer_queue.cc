#include "server/table/answer_queue.h"

#include <utility>

#include "base/thread_name.h"

namespace lmdbapi::server {

AnswerQueue::AnswerQueue()
    : thread_([this] {
        NameThisThread("answer-queue");
        Run();
      }) {}

AnswerQueue::~AnswerQueue() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void AnswerQueue::Post(std::function<void()> answer) {
  absl::MutexLock lock(&mu_);
  queue_.push_back(std::move(answer));
}

void AnswerQueue::Run() {
  std::vector<std::function<void()>> batch;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](AnswerQueue* q) ABSL_EXCLUSIVE_LOCKS_REQUIRED(q->mu_) {
            return !q->queue_.empty() || q->stopping_;
          },
          this));
      if (queue_.empty()) return;  // stopping and drained
      batch.swap(queue_);
    }
    for (auto& answer : batch) answer();
    batch.clear();
  }
}

}  // namespace lmdbapi::server
