// One Export call: a server stream of Export<Service>Response messages, each
// a chunk of records (up to kChunkRecords, or about kChunkBytes of stored
// records) from one storage::SnapshotExport (storage/snapshot_export.h). The
// next chunk is read only once the last one is sent, so a slow client holds
// one chunk in memory, not the table. Every message carries the snapshot's
// revision; the first is sent even when no record matches.
#ifndef LMDBAPI_SERVER_TABLE_EXPORT_STREAM_H_
#define LMDBAPI_SERVER_TABLE_EXPORT_STREAM_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/server_callback.h"
#include "server/table/grpc_status.h"
#include "storage/snapshot_export.h"
#include "storage/table.h"

namespace lmdbapi::server {

struct ExportSetup {
  const storage::Table* table = nullptr;
  // Checks the call (access: read on the table); a refusal finishes it.
  std::function<absl::Status()> admit;
  // Called once as the call finishes (metrics, log).
  std::function<void(const absl::Status&, uint64_t exported)> finished;
};

// The work of an export, without the generated types. The responses are
// written as bytes (the generated service's Export is a raw method,
// codegen/cpp_emitter.cc): each record goes out as stored, its version
// fields appended, never parsed and serialized again.
class ExportStream {
 public:
  static constexpr size_t kChunkRecords = 4096;
  static constexpr size_t kChunkBytes = 1 << 20;

 protected:
  // `request` is the serialized Export request; `prototype` an empty one.
  ExportStream(ExportSetup setup, const grpc::ByteBuffer& request,
               const google::protobuf::Message& prototype);
  // Sets `response` to the next chunk, serialized; false when the call is
  // to finish (status() then says how).
  bool Fill(grpc::ByteBuffer* response);
  // After a write: whether another chunk follows.
  bool more() const { return more_; }
  const absl::Status& status() const { return status_; }
  void Finished(const absl::Status& status);

 private:
  // Opens the snapshot of the request's records.
  absl::Status Open(const google::protobuf::Message& request);

  ExportSetup setup_;
  std::unique_ptr<storage::SnapshotExport> snapshot_;
  absl::Status status_;
  bool more_ = true;
  bool sent_any_ = false;
  uint64_t exported_ = 0;
  std::string chunk_;
};

template <typename Request>
class ExportReactor final : public grpc::ServerWriteReactor<grpc::ByteBuffer>,
                            private ExportStream {
 public:
  ExportReactor(ExportSetup setup, const grpc::ByteBuffer& request)
      : ExportStream(std::move(setup), request, Request::default_instance()) {
    Send();
  }
  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "the client went away"),
             absl::CancelledError("the client went away"));
      return;
    }
    Send();
  }
  void OnDone() override { delete this; }

 private:
  void Send() {
    if (!more() || !Fill(&response_)) {
      Finish(ToGrpcStatus(status()), status());
      return;
    }
    StartWrite(&response_);
  }
  void Finish(const grpc::Status& status, const absl::Status& logged) {
    Finished(logged);
    grpc::ServerWriteReactor<grpc::ByteBuffer>::Finish(status);
  }
  grpc::ByteBuffer response_;
};

}  // namespace lmdbapi::server

#endif  // LMDBAPI_SERVER_TABLE_EXPORT_STREAM_H_
