#include "server/table/call_limit.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "storage/status.h"

namespace lmdbapi::server {
namespace {

// Counts its call from its start (gRPC creates it just before the handler
// runs) until the call's status is handed to gRPC, or the call is freed
// without one. Ending at the status keeps a refusal counted for the
// microseconds of its handler only: refusals under a flood do not crowd out
// the calls they leave room for.
class CallCounter final : public grpc::experimental::Interceptor {
 public:
  explicit CallCounter(std::atomic<size_t>* count) : count_(count) {
    count_->fetch_add(1, std::memory_order_relaxed);
  }
  ~CallCounter() override { Release(); }
  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      Release();
    }
    methods->Proceed();
  }

 private:
  void Release() {
    if (counted_) count_->fetch_sub(1, std::memory_order_relaxed);
    counted_ = false;
  }

  std::atomic<size_t>* count_;
  bool counted_ = true;  // gRPC runs a call's hooks and delete one at a time
};

// Health, reflection and Admin stay reachable under any load.
bool Counted(const char* method) {
  return method != nullptr && !absl::StartsWith(method, "/grpc.") &&
         !absl::StartsWith(method, "/lmdbapi.admin.");
}

}  // namespace

class CallLimit::Factory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  Factory(std::atomic<size_t>* count,
          absl::flat_hash_set<std::string> self_counted)
      : count_(count), self_counted_(std::move(self_counted)) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    if (!Counted(info->method()) || self_counted_.contains(info->method())) {
      return nullptr;
    }
    return new CallCounter(count_);
  }

 private:
  std::atomic<size_t>* count_;
  const absl::flat_hash_set<std::string> self_counted_;
};

absl::Status CallLimit::Admit() const {
  if (max_ == 0) return absl::OkStatus();
  size_t now = in_flight();
  if (now <= max_) return absl::OkStatus();
  return storage::WithReason(
      absl::ResourceExhaustedError(absl::StrCat(
          "server overloaded: ", now,
          " calls in flight (--max_in_flight=", max_, "); retry after 1 s")),
      kOverloadedReason);
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
CallLimit::Counter(absl::flat_hash_set<std::string> self_counted) {
  if (max_ == 0) return nullptr;
  return std::make_unique<Factory>(&in_flight_, std::move(self_counted));
}

}  // namespace lmdbapi::server
