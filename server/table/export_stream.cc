#include "server/table/export_stream.h"

#include <utility>

#include "model/request_layout.h"

namespace lmdbapi::server {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
namespace layout = model::layout;

namespace {

// The request's filter and, for a child table, its parent key as a typed
// predicate.
storage::Query ExportQuery(const storage::TableSchema& table,
                           const Message& request) {
  storage::Query query;
  const auto* r = request.GetReflection();
  const auto* d = request.GetDescriptor();
  query.filter =
      r->GetString(request, d->FindFieldByNumber(layout::kExportFilter.number));
  const FieldDescriptor* parent = d->FindFieldByNumber(layout::kExportParent);
  if (parent != nullptr && table.parent_key.field != nullptr) {
    std::string key = r->GetString(request, parent);
    if (!key.empty()) {
      query.predicates.push_back(storage::Predicate{
          table.parent_key.field->name(), storage::Op::kEq, std::move(key)});
    }
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
  const auto* r = response->GetReflection();
  const FieldDescriptor* records = response->GetDescriptor()->FindFieldByNumber(
      layout::kExportRecords.number);
  int added = 0;
  absl::StatusOr<bool> more = snapshot_->Next(kChunkRecords, kChunkBytes, [&] {
    ++added;
    return r->AddMessage(response, records);
  });
  if (!more.ok()) {
    status_ = more.status();
    return false;
  }
  more_ = *more;
  if (added == 0 && sent_any_) return false;  // the end: nothing to send
  r->SetUInt64(response,
               response->GetDescriptor()->FindFieldByNumber(
                   layout::kExportRevision.number),
               snapshot_->revision());
  sent_any_ = true;
  exported_ += added;
  return true;
}

void ExportStream::Finished(const absl::Status& status) {
  snapshot_.reset();  // ends the read transaction now
  if (setup_.finished) setup_.finished(status, exported_);
}

}  // namespace lmdbapi::server
