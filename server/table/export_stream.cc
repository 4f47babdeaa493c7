#include "server/table/export_stream.h"

#include <utility>

#include "model/request_access.h"

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

ExportStream::ExportStream(ExportSetup setup, const Message& request)
    : setup_(std::move(setup)) {
  status_ = setup_.admit ? setup_.admit() : absl::OkStatus();
  if (!status_.ok()) return;
  absl::StatusOr<std::unique_ptr<storage::SnapshotExport>> snapshot =
      storage::SnapshotExport::Open(
          *setup_.table, ExportQuery(setup_.table->schema(), request));
  status_ = snapshot.status();
  if (snapshot.ok()) snapshot_ = *std::move(snapshot);
}

bool ExportStream::Fill(Message* response) {
  if (!status_.ok()) return false;
  response->Clear();
  int added = 0;
  absl::StatusOr<bool> more = snapshot_->Next(kChunkRecords, kChunkBytes, [&] {
    ++added;
    return model::AddExportRecord(response);
  });
  if (!more.ok()) {
    status_ = more.status();
    return false;
  }
  more_ = *more;
  if (added == 0 && sent_any_) return false;  // the end: nothing to send
  model::SetExportRevision(response, snapshot_->revision());
  sent_any_ = true;
  exported_ += added;
  return true;
}

void ExportStream::Finished(const absl::Status& status) {
  snapshot_.reset();  // ends the read transaction now
  if (setup_.finished) setup_.finished(status, exported_);
}

}  // namespace lmdbapi::server
