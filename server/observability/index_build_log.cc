// The server's view of online index builds: log lines and health.
#include "server/observability/index_build_log.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/thread_name.h"
#include "server/observability/log.h"

namespace lmdbapi::server {
namespace {

std::string NameOf(const storage::IndexBuildProgress& build) {
  return absl::StrCat(build.table, ".", build.index);
}

}  // namespace

std::string ProgressLine(const storage::IndexBuildProgress& build,
                         double rate) {
  const uint64_t total = std::max(build.total, build.built);
  const uint64_t percent = total == 0 ? 0 : build.built * 100 / total;
  std::string line =
      absl::StrFormat("index %s: %d/%d records (%d%%)", NameOf(build),
                      build.built, build.total, percent);
  if (rate > 0) {
    const double eta = static_cast<double>(total - build.built) / rate;
    absl::StrAppendFormat(&line, ", %.0f/s, ETA %.0f s", rate, eta);
  }
  return line;
}

IndexBuildLog::IndexBuildLog(const storage::Database* db, absl::Duration poll,
                             absl::Duration every)
    : db_(db), poll_(poll), every_(every) {
  finished_ = Poll(absl::Now());  // the builds under way at open, at once
  thread_ = std::thread([this] {
    NameThisThread("index-build-log");
    Run();
  });
}

IndexBuildLog::~IndexBuildLog() { Stop(); }

void IndexBuildLog::set_health(grpc::HealthCheckServiceInterface* health) {
  absl::MutexLock lock(&mu_);
  health_ = health;
  if (health_ != nullptr) {
    health_->SetServingStatus(kIndexBuildsHealth, finished_);
  }
}

void IndexBuildLog::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void IndexBuildLog::Run() {
  absl::MutexLock lock(&mu_);
  while (!mu_.AwaitWithTimeout(absl::Condition(&stopping_), poll_)) {
    mu_.Unlock();
    const bool finished = Poll(absl::Now());
    mu_.Lock();
    finished_ = finished;
    if (health_ != nullptr) {
      health_->SetServingStatus(kIndexBuildsHealth, finished);
    }
  }
}

bool IndexBuildLog::Poll(absl::Time now) {
  bool finished = true;
  for (const storage::IndexBuildProgress& build : db_->IndexBuilds()) {
    auto [it, added] = seen_.try_emplace(NameOf(build));
    if (added) it->second.state = storage::IndexState::kReady;
    Report(build, it->second, now);
    finished &= build.state == storage::IndexState::kReady;
  }
  return finished;
}

void IndexBuildLog::Report(const storage::IndexBuildProgress& build, Seen& seen,
                           absl::Time now) {
  using storage::IndexState;
  const std::string name = NameOf(build);
  if (build.state == IndexState::kBuilding &&
      seen.state != IndexState::kBuilding) {
    seen = Seen{IndexState::kBuilding, build.built, now, now, build.built};
    Log(LogLevel::kInfo, "index %s: building, %d/%d records", name, build.built,
        build.total);
    return;
  }
  if (build.state == IndexState::kBuilding && now - seen.logged >= every_) {
    const double seconds = absl::ToDoubleSeconds(now - seen.logged);
    const double rate =
        seconds > 0 ? (build.built - seen.logged_built) / seconds : 0;
    Log(LogLevel::kInfo, "%s", ProgressLine(build, rate));
    seen.logged = now;
    seen.logged_built = build.built;
  }
  if (build.state == IndexState::kReady &&
      seen.state == IndexState::kBuilding) {
    Log(LogLevel::kInfo, "index %s: built in %.1f s", name,
        absl::ToDoubleSeconds(now - seen.since));
  }
  if (build.state == IndexState::kFailed && seen.state != IndexState::kFailed) {
    Log(LogLevel::kError, "index %s: build failed, not used: %s", name,
        build.error);
  }
  seen.state = build.state;
  seen.built = build.built;
}

}  // namespace lmdbapi::server
