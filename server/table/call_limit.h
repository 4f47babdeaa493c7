// --max_in_flight: how many table-service calls (unary and streams, of every
// table and Transactions) the server holds at once; past it a call is
// refused at once with RESOURCE_EXHAUSTED rather than queued.
#ifndef LMDBAPI_SERVER_TABLE_CALL_LIMIT_H_
#define LMDBAPI_SERVER_TABLE_CALL_LIMIT_H_

#include <atomic>
#include <cstddef>
#include <memory>

#include "absl/status/status.h"
#include "grpcpp/support/server_interceptor.h"

namespace lmdbapi::server {

// The ErrorInfo reason of a refusal (REST: 429 with Retry-After).
inline constexpr char kOverloadedReason[] = "OVERLOADED";

class CallLimit {
 public:
  // At most `max_in_flight` calls; 0: no bound (nothing is counted).
  explicit CallLimit(size_t max_in_flight) : max_(max_in_flight) {}

  // OK while the calls in flight (this one counted) are within the bound,
  // else RESOURCE_EXHAUSTED "server overloaded: N calls in flight ..." with
  // the reason OVERLOADED. A caller refuses its call with it and does no
  // work for it.
  absl::Status Admit() const;

  size_t in_flight() const {
    return in_flight_.load(std::memory_order_relaxed);
  }

  // The interceptor factory to install in the server (nullptr when there is
  // no bound): it counts each call of a table service or Transactions (not
  // grpc.* nor lmdbapi.admin.*) from the start of its handler until its
  // status is given to gRPC (a stream: until it ends); the count is what
  // Admit compares.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
  Counter();

 private:
  class Factory;
  const size_t max_;
  std::atomic<size_t> in_flight_{0};
};

}  // namespace lmdbapi::server

#endif  // LMDBAPI_SERVER_TABLE_CALL_LIMIT_H_
