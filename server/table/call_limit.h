// --max_in_flight: how many table-service calls (unary and streams, of every
// table and Transactions) the server holds at once; past it a call is
// refused at once with RESOURCE_EXHAUSTED rather than queued.
#ifndef LMDBAPI_SERVER_TABLE_CALL_LIMIT_H_
#define LMDBAPI_SERVER_TABLE_CALL_LIMIT_H_

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <utility>

#include "absl/container/flat_hash_set.h"
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

  // One call counted until the ticket goes (moves carry it). The unary
  // raw methods (Insert, Update, Get, Filter, Paginate, Count, Commit)
  // count themselves with one, from their handler's start until they
  // finish or their forward to the leader ends: a call with no interceptor
  // costs gRPC ~6,000 fewer instructions (docs/BENCHMARKS.md).
  class Ticket {
   public:
    Ticket() = default;
    Ticket(Ticket&& other) noexcept : count_(other.count_) {
      other.count_ = nullptr;
    }
    Ticket& operator=(Ticket&& other) noexcept {
      std::swap(count_, other.count_);
      return *this;
    }
    ~Ticket() {
      if (count_ != nullptr) count_->fetch_sub(1, std::memory_order_relaxed);
    }

   private:
    friend class CallLimit;
    explicit Ticket(std::atomic<size_t>* count) : count_(count) {
      count_->fetch_add(1, std::memory_order_relaxed);
    }
    std::atomic<size_t>* count_ = nullptr;
  };
  // Counts a call (nothing when there is no bound); Admit next.
  Ticket Enter() const { return max_ == 0 ? Ticket() : Ticket(&in_flight_); }

  // The interceptor factory to install in the server (nullptr when there is
  // no bound): it counts each call of a table service or Transactions (not
  // grpc.* nor lmdbapi.admin.*, nor the methods in `self_counted`, full
  // names "/pkg.Service/Method" that count themselves with a Ticket) from
  // the start of its handler until its status is given to gRPC (a stream:
  // until it ends); the count is what Admit compares.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
  Counter(absl::flat_hash_set<std::string> self_counted = {});

 private:
  class Factory;
  const size_t max_;
  mutable std::atomic<size_t> in_flight_{0};
};

}  // namespace lmdbapi::server

#endif  // LMDBAPI_SERVER_TABLE_CALL_LIMIT_H_
