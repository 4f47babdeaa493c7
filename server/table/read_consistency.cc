#include "server/table/read_consistency.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"

namespace lmdbapi::server {
namespace {

// The value of metadata `key`, or "" when absent: a view of the call's
// metadata, which lives as long as the call.
absl::string_view Header(const grpc::CallbackServerContext& context,
                         absl::string_view key) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(grpc::string_ref(key.data(), key.size()));
  return it == metadata.end()
             ? absl::string_view()
             : absl::string_view(it->second.data(), it->second.size());
}

// The revision x-min-revision asks for: none when absent, INVALID_ARGUMENT
// naming the header when it is not a number.
absl::StatusOr<std::optional<uint64_t>> MinRevision(absl::string_view wanted) {
  if (wanted.empty()) return std::nullopt;
  uint64_t revision;
  if (!absl::SimpleAtoi(wanted, &revision)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "x-min-revision: '", wanted, "' is not a revision (a number)"));
  }
  return revision;
}

// The earlier of the call's deadline and kMaxWait from now.
absl::Time WaitDeadline(const grpc::CallbackServerContext& context) {
  return std::min(absl::FromChrono(context.deadline()),
                  absl::Now() + ReadConsistency::kMaxWait);
}

}  // namespace

ReadConsistency::Wants ReadConsistency::Wants::Of(
    const grpc::CallbackServerContext& context) {
  return Wants{Header(context, "x-consistency"),
               Header(context, "x-min-revision")};
}

absl::Status ReadConsistency::BeforeRead(grpc::CallbackServerContext* context,
                                         const Wants& wants) const {
  absl::string_view consistency = wants.consistency;
  if (consistency == "linearizable") {
    absl::Status leads = AwaitLeader(WaitDeadline(*context));
    if (!leads.ok()) return leads;
  } else if (!consistency.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("x-consistency: '", consistency,
                     "' is not 'linearizable' (or absent: this replica's "
                     "data, at x-revision)"));
  }
  absl::StatusOr<std::optional<uint64_t>> wanted =
      MinRevision(wants.min_revision);
  if (!wanted.ok()) return wanted.status();
  if (wanted->has_value()) {
    uint64_t revision = **wanted;
    if (!writer_->AwaitRevision(revision, WaitDeadline(*context))) {
      return absl::UnavailableError(
          absl::StrCat("x-min-revision: this replica has applied revision ",
                       writer_->committed_revision(), ", not yet ", revision,
                       "; retry, or read from the leader"));
    }
  }
  context->AddInitialMetadata("x-revision",
                              absl::StrCat(writer_->committed_revision()));
  return absl::OkStatus();
}

bool ReadConsistency::MustWait(const Wants& wants) const {
  if (replicator_ != nullptr && wants.consistency == "linearizable") {
    return true;
  }
  // A bad x-min-revision does not wait: BeforeRead refuses it.
  absl::StatusOr<std::optional<uint64_t>> wanted =
      MinRevision(wants.min_revision);
  return wanted.ok() && wanted->has_value() &&
         **wanted > writer_->committed_revision();
}

void ReadConsistency::RunWaiting(std::function<void()> read) const {
  absl::MutexLock lock(&mu_);
  JoinEnded();
  waiting_.emplace_back([this, read = std::move(read)] {
    read();
    absl::MutexLock lock(&mu_);
    ended_.push_back(std::this_thread::get_id());
  });
}

void ReadConsistency::JoinEnded() const {
  for (std::thread::id id : ended_) {
    auto it =
        std::find_if(waiting_.begin(), waiting_.end(),
                     [id](const std::thread& t) { return t.get_id() == id; });
    if (it == waiting_.end()) continue;
    it->join();
    waiting_.erase(it);
  }
  ended_.clear();
}

ReadConsistency::~ReadConsistency() {
  std::list<std::thread> threads;
  {
    absl::MutexLock lock(&mu_);
    threads.swap(waiting_);
  }
  for (std::thread& thread : threads) thread.join();
}

absl::Status ReadConsistency::AwaitLeader(absl::Time deadline) const {
  if (replicator_ == nullptr) return absl::OkStatus();  // one copy: current
  struct Outcome {
    absl::Notification done;
    absl::Status status;
  };
  auto outcome = std::make_shared<Outcome>();
  replicator_->Barrier([outcome](absl::Status status) {
    outcome->status = std::move(status);
    outcome->done.Notify();
  });
  if (!outcome->done.WaitForNotificationWithDeadline(deadline)) {
    return absl::UnavailableError(
        "x-consistency: the leader could not confirm its lead in time; "
        "retry");
  }
  return outcome->status;
}

}  // namespace lmdbapi::server
