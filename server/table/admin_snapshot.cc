// Admin/Snapshot: the database streamed to the caller as a compacted copy
// (proto/lmdbapi/admin.proto). The copy is written next to the data first
// ("<data_dir>/snapshot.outgoing", one at a time, removed afterwards), so
// that a slow caller never holds the map: LMDB's copy keeps map growth
// waiting only while it writes to the local disk.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "server/observability/log.h"
#include "server/replication/snapshot_fetch.h"
#include "server/table/admin_service.h"
#include "server/table/grpc_status.h"

namespace lmdbapi::server {
namespace {

constexpr size_t kChunkBytes = 1 << 20;

// Removes a directory (and what it holds) when it goes out of scope.
class RemovedAtExit {
 public:
  explicit RemovedAtExit(std::string dir) : dir_(std::move(dir)) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);  // a crash's leftover
  }
  ~RemovedAtExit() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  RemovedAtExit(const RemovedAtExit&) = delete;
  RemovedAtExit& operator=(const RemovedAtExit&) = delete;
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

// Sends the file at `path` in chunks; the first says how big it is.
grpc::Status SendFile(const std::string& path, uint64_t total,
                      grpc::ServerWriter<admin::v1::SnapshotChunk>* writer) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return ToGrpcStatus(absl::InternalError(
        absl::StrCat("snapshot: cannot read ", path, ": ", strerror(errno))));
  }
  std::string buffer(kChunkBytes, '\0');
  grpc::Status status;
  admin::v1::SnapshotChunk chunk;
  chunk.set_total_bytes(total);
  while (status.ok()) {
    ssize_t n = read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      status = ToGrpcStatus(absl::InternalError(
          absl::StrCat("snapshot: reading ", path, ": ", strerror(errno))));
    }
    if (n <= 0) break;
    chunk.set_data(buffer.data(), static_cast<size_t>(n));
    if (!writer->Write(chunk)) {
      status = grpc::Status(grpc::StatusCode::CANCELLED,
                            "snapshot: the caller stopped reading");
    }
    chunk.clear_total_bytes();
  }
  close(fd);
  return status;
}

// Whether the call carries the shard's replication token.
bool FromReplica(const grpc::ServerContext& context, const std::string& token) {
  if (token.empty()) return false;
  auto sent = context.client_metadata().find(kReplicationTokenHeader);
  return sent != context.client_metadata().end() &&
         access::SameSecret(
             absl::string_view(sent->second.data(), sent->second.size()),
             token);
}

}  // namespace

grpc::Status AdminService::Snapshot(
    grpc::ServerContext* context, const admin::v1::SnapshotRequest* /*request*/,
    grpc::ServerWriter<admin::v1::SnapshotChunk>* writer) {
  auto start = std::chrono::steady_clock::now();
  return Recorded("Snapshot", start, SendSnapshot(context, writer));
}

grpc::Status AdminService::SendSnapshot(
    grpc::ServerContext* context,
    grpc::ServerWriter<admin::v1::SnapshotChunk>* writer) {
  if (!FromReplica(*context, replication_token_)) {
    grpc::Status allowed = Allowed(context);
    if (!allowed.ok()) return allowed;
  }
  absl::MutexLock lock(&one_snapshot_at_a_time_);
  RemovedAtExit copy_dir(db_->env().options().path + "/snapshot.outgoing");
  auto start = std::chrono::steady_clock::now();
  absl::StatusOr<storage::CopyReport> copy = db_->env().Copy(copy_dir.dir());
  if (!copy.ok()) {
    Log(LogLevel::kError, "snapshot: %s", copy.status().ToString());
    return ToGrpcStatus(copy.status());
  }
  grpc::Status sent = SendFile(copy->path + "/data.mdb", copy->bytes, writer);
  Log(sent.ok() ? LogLevel::kInfo : LogLevel::kWarning,
      "snapshot: %d bytes sent to %s in %d ms%s", copy->bytes, context->peer(),
      std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - start)
          .count(),
      sent.ok() ? "" : absl::StrCat(" (", sent.error_message(), ")"));
  return sent;
}

}  // namespace lmdbapi::server
