#include "server/router/router_queues.h"

#include <algorithm>

#include "base/thread_name.h"
#include "grpcpp/support/async_unary_call.h"

namespace lmdbapi::server {
namespace {

// Calls each queue waits for at once: a call arriving while its queue's
// thread is busy is taken by one of these without waiting for the thread.
constexpr int kWaitingCalls = 8;

// The header that says which revision of its data an answer reflects
// (server/table/read_consistency.h).
constexpr char kRevision[] = "x-revision";

// The queue of the thread running now (a RouterQueues thread), if any.
thread_local grpc::CompletionQueue* current_queue = nullptr;

}  // namespace

// One routed call: waits for a call, reads its request, hands it to the
// handler and sends its answer; deletes itself at the end.
class RouterQueues::ServerCall final : public RouterQueues::Event {
 public:
  ServerCall(RouterQueues* owner, grpc::ServerCompletionQueue* queue)
      : owner_(owner), queue_(queue), stream_(&context_) {
    owner_->calls_.fetch_add(1);
    owner_->service_.RequestCall(&context_, &stream_, queue_, queue_, this);
  }

  void Proceed(bool ok) override {
    switch (state_) {
      case State::kWaiting:
        if (!ok) return End();           // the server is shutting down
        new ServerCall(owner_, queue_);  // in its place, for the next call
        state_ = State::kReading;
        stream_.Read(&request_, this);
        return;
      case State::kReading:
        state_ = State::kAnswering;
        if (!ok) {
          return Respond(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                      "the call carried no request message"),
                         {}, "");
        }
        owner_->handler_(
            context_, request_,
            Answer::Fn([this](grpc::Status status, grpc::ByteBuffer response,
                              std::string revision) {
              Respond(std::move(status), std::move(response), revision);
            }));
        return;
      case State::kAnswering:  // the answer's write ended
        return End();
    }
  }

 private:
  enum class State { kWaiting, kReading, kAnswering };

  void Respond(grpc::Status status, grpc::ByteBuffer response,
               const std::string& revision) {
    if (!revision.empty()) context_.AddInitialMetadata(kRevision, revision);
    if (!status.ok()) return stream_.Finish(status, this);
    response_ = std::move(response);
    stream_.WriteAndFinish(response_, grpc::WriteOptions(), status, this);
  }
  void End() {
    owner_->calls_.fetch_sub(1);
    delete this;
  }

  RouterQueues* owner_;
  grpc::ServerCompletionQueue* queue_;
  grpc::GenericServerContext context_;
  grpc::GenericServerAsyncReaderWriter stream_;
  grpc::ByteBuffer request_, response_;
  State state_ = State::kWaiting;
};

// One call to a shard; deletes itself once `done` has run.
class RouterQueues::ShardCall final : public RouterQueues::Event {
 public:
  ShardCall(RouterQueues* owner, Done done)
      : owner_(owner), done_(std::move(done)) {}

  grpc::ClientContext& context() { return context_; }

  void Start(grpc::GenericStub& stub, const std::string& method,
             const grpc::ByteBuffer& request, grpc::CompletionQueue* queue) {
    reader_ = stub.PrepareUnaryCall(&context_, method, request, queue);
    reader_->StartCall();
    reader_->Finish(&response_, &status_, this);
  }

  void Proceed(bool /*ok: always true for a unary call's Finish*/) override {
    {
      absl::MutexLock lock(&owner_->mu_);
      owner_->waiting_.erase(&context_);
    }
    std::string revision;
    const auto& headers = context_.GetServerInitialMetadata();
    if (auto found = headers.find(kRevision); found != headers.end()) {
      revision.assign(found->second.data(), found->second.size());
    }
    done_(std::move(status_), std::move(response_), std::move(revision));
    delete this;
  }

 private:
  RouterQueues* owner_;
  Done done_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::GenericClientAsyncResponseReader> reader_;
  grpc::ByteBuffer response_;
  grpc::Status status_;
};

RouterQueues::RouterQueues(Handler handler) : handler_(std::move(handler)) {}

RouterQueues::~RouterQueues() {
  Stop();
  // Queues registered but never served (the server did not start): a queue
  // is destroyed only shut down and empty.
  for (auto& queue : queues_) {
    queue->Shutdown();
    void* tag = nullptr;
    bool ok = false;
    while (queue->Next(&tag, &ok)) {
    }
  }
}

void RouterQueues::Register(grpc::ServerBuilder& builder, size_t threads) {
  builder.RegisterAsyncGenericService(&service_);
  for (size_t i = 0; i < std::max<size_t>(threads, 1); ++i) {
    queues_.push_back(builder.AddCompletionQueue());
  }
}

void RouterQueues::Start() {
  for (auto& queue : queues_) {
    for (int i = 0; i < kWaitingCalls; ++i) new ServerCall(this, queue.get());
    threads_.emplace_back([this, queue = queue.get()] {
      NameThisThread("router-poll");
      Poll(queue);
    });
  }
}

void RouterQueues::Poll(grpc::ServerCompletionQueue* queue) {
  current_queue = queue;
  void* tag = nullptr;
  bool ok = false;
  while (queue->Next(&tag, &ok)) static_cast<Event*>(tag)->Proceed(ok);
}

void RouterQueues::Stop() {
  if (threads_.empty()) return;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    for (grpc::ClientContext* context : waiting_) context->TryCancel();
  }
  // Every call has its answer once none is alive: no operation starts on a
  // queue after that, so the queues can shut down.
  while (calls_.load() > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  for (auto& queue : queues_) queue->Shutdown();
  for (std::thread& thread : threads_) thread.join();
  threads_.clear();
  queues_.clear();
}

void RouterQueues::UnaryCall(
    grpc::GenericStub& stub, const std::string& method,
    std::chrono::system_clock::time_point deadline,
    const std::vector<std::pair<std::string, std::string>>& metadata,
    grpc::ByteBuffer request, Done done) {
  auto* call = new ShardCall(this, std::move(done));
  grpc::ClientContext& context = call->context();
  context.set_deadline(deadline);
  for (const auto& [key, value] : metadata) context.AddMetadata(key, value);
  bool cancel = false;
  {
    absl::MutexLock lock(&mu_);
    waiting_.insert(&context);
    cancel = stopping_;
  }
  call->Start(stub, method, request,
              current_queue != nullptr ? current_queue : queues_.front().get());
  if (cancel) context.TryCancel();
}

}  // namespace lmdbapi::server
