#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cli/import_lines.h"
#include "cli/remote_backend_impl.h"
#include "cli/remote_tables.h"
#include "cli/wire_fields.h"
#include "storage/coding.h"

namespace lmdbapi::cli {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

// A batch stays under the servers' default --max_message_bytes (4 MiB).
constexpr size_t kMaxBatchBytes = 3 << 20;
// Records per request unless --batch says.
constexpr size_t kBatchRecords = 1000;

// Appends to `request` (an Import request, serialized) up to options.batch
// (or kBatchRecords) records (and kMaxBatchBytes) of `source` as its field
// `records`; false when the source ended, or stopped at a bad record
// (`stopped`) without skip_bad.
bool FillBatch(RecordSource& source, const ImportOptions& options, int records,
               std::string* request, std::vector<uint64_t>* lines,
               ImportResult* result, absl::Status* stopped) {
  std::string record;
  const size_t batch = options.batch == 0 ? kBatchRecords : options.batch;
  for (size_t n = 0; n < batch && request->size() < kMaxBatchBytes;) {
    uint64_t line = 0;
    absl::StatusOr<bool> next = source.Next(&record, &line);
    if (next.ok() && !*next) return false;
    if (next.ok()) {
      storage::PutWireBytes(records, record, request);
      lines->push_back(line);
      ++n;
    } else if (options.skip_bad && absl::IsInvalidArgument(next.status())) {
      result->skipped.emplace_back(line, std::string(next.status().message()));
    } else {
      *stopped = next.status();
      return false;
    }
  }
  return true;
}

// What the server reports, its skipped records told by the source's lines.
void TakeImportResponse(const Message& response,
                        const std::vector<uint64_t>& lines,
                        ImportResult* result) {
  result->imported = GetInteger(response, "imported");
  result->revision = GetInteger(response, "revision");
  const uint64_t here = result->skipped.size();  // refused before sending
  result->skipped_count = here;
  const FieldDescriptor* skipped =
      response.GetDescriptor()->FindFieldByName("skipped");
  if (skipped == nullptr || skipped->message_type() == nullptr) return;
  const auto* r = response.GetReflection();
  for (int i = 0; i < r->FieldSize(response, skipped); ++i) {
    const Message& s = r->GetRepeatedMessage(response, skipped, i);
    uint64_t line = LineOf(GetInteger(s, "position"), lines);
    result->skipped.emplace_back(line, WithLine(GetString(s, "error"), lines));
  }
  // A server lists the first 1000 skipped records and counts them all.
  result->skipped_count =
      here + std::max<uint64_t>(GetInteger(response, "skipped_count"),
                                result->skipped.size() - here);
}

}  // namespace

absl::StatusOr<uint64_t> RemoteBackend::Count(const TableInfo& table) {
  auto counted = Unary(table, "Count", [](Message*) {});
  if (!counted.ok()) return counted.status();
  return GetInteger(**counted, "count");
}

absl::StatusOr<uint64_t> RemoteBackend::ExportTable(const TableInfo& table,
                                                    SerializedSink sink,
                                                    Progress* progress) {
  auto method = TableMethod(*reflection_->pool(), table, "Export");
  if (!method.ok()) return method.status();
  const Descriptor* type = (*method)->output_type();
  const FieldDescriptor* records = FieldOfType(type, table.record, true);
  const FieldDescriptor* revision_field = type->FindFieldByName("revision");
  if (records == nullptr) {
    return absl::UnimplementedError(
        absl::StrCat((*method)->full_name(), ": ", type->full_name(),
                     " holds no ", table.record->full_name()));
  }
  uint64_t revision = 0;
  bool sent = false;
  std::string request = New((*method)->input_type())->SerializeAsString();
  absl::Status exported = CallSerialized(
      *connection_, **method,
      [&](std::string* next) -> absl::StatusOr<bool> {
        if (sent) return false;
        *next = request;
        return sent = true;
      },
      [&](absl::string_view response) {
        uint64_t n = 0;
        absl::Status read = ForEachField(response, [&](const WireField& f) {
          if (f.number == records->number()) {
            ++n;
            return sink(table, f.bytes);
          }
          if (revision_field != nullptr &&
              f.number == revision_field->number()) {
            revision = std::max(revision, f.varint);
          }
          return absl::OkStatus();
        });
        if (progress != nullptr) progress->Add(n);
        return read;
      });
  if (!exported.ok()) return exported;
  return revision;
}

// Each table through its Export stream, from the snapshot the server takes
// when the stream starts: tables exported one after the other are each
// consistent, not consistent with each other while writes go on (the
// revision returned is the latest of their snapshots).
absl::StatusOr<uint64_t> RemoteBackend::Export(
    const std::vector<const TableInfo*>& tables, SerializedSink sink,
    Progress* progress) {
  if (progress != nullptr) {
    uint64_t total = 0;
    for (const TableInfo* t : tables) {
      auto n = Count(*t);
      if (n.ok()) total += *n;
    }
    progress->set_total(total);
  }
  uint64_t revision = 0;
  for (const TableInfo* t : tables) {
    auto r = ExportTable(*t, sink, progress);
    if (!r.ok()) return r.status();
    revision = std::max(revision, *r);
  }
  if (progress != nullptr) progress->Finish();
  return revision;
}

// The records go in Import requests of options.batch records each, on one
// client stream; the server answers once, when every batch is durable.
absl::StatusOr<ImportResult> RemoteBackend::Import(const TableInfo& table,
                                                   RecordSource& source,
                                                   const ImportOptions& options,
                                                   Progress* progress) {
  auto method = TableMethod(*reflection_->pool(), table, "Import");
  if (!method.ok()) return method.status();
  const Descriptor* in = (*method)->input_type();
  const FieldDescriptor* records = FieldOfType(in, table.record, true);
  if (records == nullptr) {
    return absl::UnimplementedError(absl::StrCat((*method)->full_name(), ": ",
                                                 in->full_name(), " holds no ",
                                                 table.record->full_name()));
  }
  const FieldDescriptor* skip_bad = in->FindFieldByName("skip_bad");
  ImportResult result;
  std::vector<uint64_t> lines;
  absl::Status stopped;
  bool ended = false;
  std::unique_ptr<Message> response = New((*method)->output_type());
  absl::Status called = CallSerialized(
      *connection_, **method,
      [&](std::string* request) -> absl::StatusOr<bool> {
        if (ended) return false;
        if (options.skip_bad && skip_bad != nullptr) {
          storage::PutWireVarint(skip_bad->number(), 1, request);
        }
        size_t before = lines.size();
        ended = !FillBatch(source, options, records->number(), request, &lines,
                           &result, &stopped);
        if (progress != nullptr) progress->Add(lines.size() - before);
        return lines.size() > before;
      },
      [&](absl::string_view got) {
        if (!response->ParseFromArray(got.data(),
                                      static_cast<int>(got.size()))) {
          return absl::InternalError("the Import response does not parse");
        }
        return absl::OkStatus();
      });
  if (!called.ok()) {
    return absl::Status(called.code(), WithLine(called.message(), lines));
  }
  TakeImportResponse(*response, lines, &result);
  if (progress != nullptr) progress->Finish();
  if (!stopped.ok()) return stopped;
  return result;
}

}  // namespace lmdbapi::cli
