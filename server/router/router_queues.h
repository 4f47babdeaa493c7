// The fan-out router's calls, served on completion queues the router polls
// with its own threads, one queue each. A routed call, the shard calls it
// makes and its answer all complete on the queue of the thread that took the
// call, so that one thread carries the call from its request to its answer.
// (With gRPC's callback API each completion went to the library's own
// threads, which woke each other several times per call: docs/BENCHMARKS.md,
// "The router on its own completion queues". That needs a process with no
// callback service at all: server/process/health_service.h.)
#ifndef LMDBAPI_SERVER_ROUTER_ROUTER_QUEUES_H_
#define LMDBAPI_SERVER_ROUTER_ROUTER_QUEUES_H_

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/client_context.h"
#include "grpcpp/generic/async_generic_service.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/server_builder.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/status.h"

namespace lmdbapi::server {

class RouterQueues {
 public:
  // Gets a call's status, when OK its response, and the revision of the
  // data it reflects, sent as the `x-revision` header ("": none; a
  // fan-out's answer has none, revisions being per shard).
  class Answer {
   public:
    using Fn = std::function<void(grpc::Status, grpc::ByteBuffer,
                                  std::string revision)>;
    Answer() = default;
    Answer(Fn fn) : fn_(std::move(fn)) {}  // NOLINT: a callable converts
    void operator()(grpc::Status status, grpc::ByteBuffer response,
                    std::string revision = "") const {
      fn_(std::move(status), std::move(response), std::move(revision));
    }

   private:
    Fn fn_;
  };
  // Answers one call (`context.method()` is "/package.Service/Method") by
  // calling `answer` once, at once or from a shard call's `done`.
  using Handler =
      std::function<void(const grpc::GenericServerContext& context,
                         const grpc::ByteBuffer& request, Answer answer)>;
  // Gets a shard call's status, when OK its response, and the shard's
  // `x-revision` header ("" when it sent none).
  using Done =
      std::function<void(grpc::Status, grpc::ByteBuffer, std::string revision)>;

  explicit RouterQueues(Handler handler);
  ~RouterQueues();  // Stop()
  RouterQueues(const RouterQueues&) = delete;
  RouterQueues& operator=(const RouterQueues&) = delete;

  // Before the server is built: adds the service that takes every method no
  // other service has, and `threads` queues (at least one).
  void Register(grpc::ServerBuilder& builder, size_t threads);
  // Once the server has started: each queue's thread takes calls.
  void Start();
  // Once the server has shut down (no call comes any more): cancels the
  // shard calls still waiting, waits for every call to end, then ends the
  // threads.
  void Stop();

  // Calls `method` of `stub` with `request` from a handler's thread; `done`
  // runs on the same thread when the call ends. `metadata` goes with it.
  void UnaryCall(
      grpc::GenericStub& stub, const std::string& method,
      std::chrono::system_clock::time_point deadline,
      const std::vector<std::pair<std::string, std::string>>& metadata,
      grpc::ByteBuffer request, Done done);

 private:
  // What a queue's thread gets back: told once whether its operation went
  // through.
  class Event {
   public:
    virtual void Proceed(bool ok) = 0;

   protected:
    ~Event() = default;
  };
  class ServerCall;
  class ShardCall;

  void Poll(grpc::ServerCompletionQueue* queue);

  Handler handler_;
  grpc::AsyncGenericService service_;
  std::vector<std::unique_ptr<grpc::ServerCompletionQueue>> queues_;
  std::vector<std::thread> threads_;
  // ServerCalls alive: those waiting for a call and those serving one.
  std::atomic<int64_t> calls_{0};
  absl::Mutex mu_;
  absl::flat_hash_set<grpc::ClientContext*> waiting_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace lmdbapi::server

#endif  // LMDBAPI_SERVER_ROUTER_ROUTER_QUEUES_H_
