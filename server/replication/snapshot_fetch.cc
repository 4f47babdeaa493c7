#include "server/replication/snapshot_fetch.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "grpcpp/security/credentials.h"
#include "proto/lmdbapi/admin.grpc.pb.h"
#include "server/observability/log.h"
#include "server/process/peer_channel.h"
#include "storage/replica_snapshot.h"

namespace lmdbapi::server {
namespace {

namespace fs = std::filesystem;

// A day: a copy of any size finishes, a peer that stops sending does not
// hold this replica forever.
constexpr auto kFetchDeadline = std::chrono::hours(24);

absl::Status FetchError(const SnapshotSource& from, absl::string_view why) {
  return absl::UnavailableError(absl::StrCat(
      "replication: copying the data of ", from.address, ": ", why));
}

}  // namespace

absl::Status FetchSnapshot(const SnapshotSource& from, const std::string& dir) {
  std::error_code error;
  fs::remove_all(dir, error);
  fs::create_directories(dir, error);
  if (error) return FetchError(from, error.message());
  const std::string partial = dir + "/data.mdb.partial";
  std::ofstream out(partial, std::ios::binary | std::ios::trunc);
  auto stub = admin::v1::Admin::NewStub(
      PeerChannel(from.address, from.credentials, 8 << 20));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kFetchDeadline);
  if (!from.auth_token.empty()) {
    context.AddMetadata("authorization", "Bearer " + from.auth_token);
  }
  if (!from.replication_token.empty()) {
    context.AddMetadata(kReplicationTokenHeader, from.replication_token);
  }
  auto reader = stub->Snapshot(&context, admin::v1::SnapshotRequest());
  admin::v1::SnapshotChunk chunk;
  uint64_t total = 0, received = 0;
  while (reader->Read(&chunk)) {
    if (chunk.total_bytes() != 0) total = chunk.total_bytes();
    out.write(chunk.data().data(), chunk.data().size());
    received += chunk.data().size();
  }
  grpc::Status status = reader->Finish();
  out.close();
  if (!status.ok()) return FetchError(from, status.error_message());
  if (!out || received != total || total == 0) {
    return FetchError(from, absl::StrCat("received ", received, " of ", total,
                                         " bytes, or could not write them"));
  }
  fs::rename(partial, dir + "/data.mdb", error);
  if (error) return FetchError(from, error.message());
  return absl::OkStatus();
}

absl::Status CatchUpFromSnapshot(const SnapshotSource& from, uint64_t index,
                                 const std::string& dir,
                                 storage::Writer& writer) {
  auto start = std::chrono::steady_clock::now();
  LMDBAPI_RETURN_IF_ERROR(FetchSnapshot(from, dir));
  absl::Status installed;
  {
    LMDBAPI_ASSIGN_OR_RETURN(auto snapshot,
                             storage::ReplicaSnapshot::Open(dir));
    if (snapshot->applied() < index) {
      return FetchError(from, absl::StrCat("its data holds the log up to ",
                                           snapshot->applied(), ", not ", index,
                                           " (it is behind)"));
    }
    installed = snapshot->InstallInto(writer);
    Log(installed.ok() ? LogLevel::kInfo : LogLevel::kError,
        "replication: installed the data of %s (log entry %d) in %d ms%s",
        from.address, snapshot->applied(),
        std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - start)
            .count(),
        installed.ok() ? "" : absl::StrCat(": ", installed.message()));
  }
  std::error_code ignored;
  fs::remove_all(dir, ignored);
  return installed;
}

}  // namespace lmdbapi::server
