#include "server/table/export_stream.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "model/request_access.h"
#include "model/request_layout.h"
#include "server/table/byte_buffer_view.h"
#include "server/table/parse_errors.h"
#include "storage/coding.h"

namespace lmdbapi::server {

using google::protobuf::Message;

namespace {

// The request's filter and, for a child table, its parent key as a typed
// predicate.
storage::Query ExportQuery(const storage::TableSchema& table,
                           const Message& request) {
  storage::Query query;
  query.filter = model::ExportFilter(request);
  std::string parent = model::ExportParent(request);
  if (!parent.empty() && table.parent_key.field != nullptr) {
    query.predicates.push_back(storage::Predicate{
        table.parent_key.field->name(), storage::Op::kEq, std::move(parent)});
  }
  return query;
}

}  // namespace

ExportStream::ExportStream(ExportSetup setup, const grpc::ByteBuffer& request,
                           const Message& prototype)
    : setup_(std::move(setup)) {
  status_ = setup_.admit ? setup_.admit() : absl::OkStatus();
  if (!status_.ok()) return;
  std::unique_ptr<Message> parsed(prototype.New());
  status_ = ParseRequest(request, {"", "Export"}, parsed.get());
  if (!status_.ok()) return;
  status_ = Open(*parsed);
}

absl::Status ExportStream::Open(const Message& request) {
  absl::StatusOr<std::unique_ptr<storage::SnapshotExport>> snapshot =
      storage::SnapshotExport::Open(
          *setup_.table, ExportQuery(setup_.table->schema(), request));
  if (!snapshot.ok()) return snapshot.status();
  snapshot_ = *std::move(snapshot);
  return absl::OkStatus();
}

bool ExportStream::Fill(grpc::ByteBuffer* response) {
  namespace L = model::layout;
  if (!status_.ok()) return false;
  chunk_.clear();
  int added = 0;
  absl::StatusOr<bool> more = snapshot_->Next(
      kChunkRecords, kChunkBytes, [&](absl::string_view record) {
        ++added;
        storage::PutWireBytes(L::kExportRecords.number, record, &chunk_);
      });
  if (!more.ok()) {
    status_ = more.status();
    return false;
  }
  more_ = *more;
  if (added == 0 && sent_any_) return false;  // the end: nothing to send
  storage::PutWireVarint(L::kExportRevision.number, snapshot_->revision(),
                         &chunk_);
  sent_any_ = true;
  exported_ += added;
  *response = ByteBufferOf(chunk_);
  return true;
}

void ExportStream::Finished(const absl::Status& status) {
  snapshot_.reset();  // ends the read transaction now
  if (setup_.finished) setup_.finished(status, exported_);
}

}  // namespace lmdbapi::server
