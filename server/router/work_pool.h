// A fixed set of threads running queued tasks in order of arrival: where the
// router's calls wait for their shards, off gRPC's callback threads.
#ifndef LMDBAPI_SERVER_ROUTER_WORK_POOL_H_
#define LMDBAPI_SERVER_ROUTER_WORK_POOL_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace lmdbapi::server {

class WorkPool {
 public:
  explicit WorkPool(size_t threads);
  // Runs the queued tasks, then joins.
  ~WorkPool();

  void Run(std::function<void()> task);

 private:
  void Loop();

  std::mutex mu_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace lmdbapi::server

#endif  // LMDBAPI_SERVER_ROUTER_WORK_POOL_H_
