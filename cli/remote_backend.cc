#include "cli/remote_backend.h"

#include <set>
#include <thread>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "cli/dynamic_call.h"
#include "cli/reflection_client.h"
#include "cli/remote_tables.h"
#include "proto/lmdbapi/admin.grpc.pb.h"
#include "proto/lmdbapi/options.pb.h"

namespace lmdbapi::cli {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::MethodDescriptor;

// The sink has seen enough: ends a stream without an error.
absl::Status Enough() { return absl::CancelledError("lmdbapi: enough"); }
bool IsEnough(const absl::Status& s) {
  return absl::IsCancelled(s) && s.message() == "lmdbapi: enough";
}

class RemoteBackend : public Backend {
 public:
  RemoteBackend(std::unique_ptr<Connection> connection,
                std::unique_ptr<ReflectionClient> reflection,
                std::vector<TableInfo> tables)
      : connection_(std::move(connection)),
        reflection_(std::move(reflection)),
        tables_(std::move(tables)),
        admin_(admin::v1::Admin::NewStub(connection_->channel())) {}

  const std::vector<TableInfo>& tables() const override { return tables_; }
  std::unique_ptr<Message> NewRecord(const TableInfo& table) const override {
    return New(table.record);
  }

  absl::Status Get(const TableInfo& table, const std::string& key,
                   Message* record) override;
  absl::Status Put(const TableInfo& table, Message* record) override;
  absl::Status Delete(const TableInfo& table, const std::string& key) override;
  absl::Status List(const TableInfo& table, const ListOptions& options,
                    RecordSink sink) override;
  absl::Status Watch(
      const TableInfo& table, const std::string& filter, uint64_t from_revision,
      uint64_t max_changes,
      absl::FunctionRef<absl::Status(const std::string&, const Message&)> sink)
      override;
  absl::StatusOr<uint64_t> Export(const std::vector<const TableInfo*>& tables,
                                  RecordSink sink, Progress* progress) override;
  absl::StatusOr<ImportResult> Import(const TableInfo& table,
                                      RecordSource& source,
                                      const ImportOptions& options,
                                      Progress* progress) override;
  absl::StatusOr<admin::v1::StatResponse> Stat() override;
  absl::StatusOr<admin::v1::VerifyResponse> Verify(Progress* progress) override;
  absl::StatusOr<admin::v1::RebuildResponse> Rebuild(
      const std::string& table, const std::string& index,
      Progress* progress) override;
  absl::StatusOr<admin::v1::BackupResponse> Backup(
      const std::string& destination, Progress* progress) override;
  absl::StatusOr<std::string> Schema() override;

 private:
  std::unique_ptr<Message> New(const Descriptor* type) const {
    return std::unique_ptr<Message>(
        reflection_->factory()->GetPrototype(type)->New());
  }
  // Calls the table's unary `method` with the request `fill` makes.
  absl::StatusOr<std::unique_ptr<Message>> Unary(
      const TableInfo& table, const std::string& method,
      absl::FunctionRef<void(Message*)> fill);
  absl::Status Write(const TableInfo& table, const std::string& method,
                     Message* record);
  absl::StatusOr<uint64_t> Count(const TableInfo& table);
  absl::StatusOr<uint64_t> ExportTable(const TableInfo& table, RecordSink sink,
                                       Progress* progress);
  template <typename Request, typename Response, typename Call>
  absl::StatusOr<Response> Admin(const char* name, const Request& request,
                                 Call call);
  absl::Status WaitForBuilds(const admin::v1::RebuildResponse& started,
                             Progress* progress);

  std::unique_ptr<Connection> connection_;
  std::unique_ptr<ReflectionClient> reflection_;
  std::vector<TableInfo> tables_;
  std::unique_ptr<admin::v1::Admin::Stub> admin_;
};

absl::StatusOr<std::unique_ptr<Message>> RemoteBackend::Unary(
    const TableInfo& table, const std::string& name,
    absl::FunctionRef<void(Message*)> fill) {
  auto method = TableMethod(*reflection_->pool(), table, name);
  if (!method.ok()) return method.status();
  std::unique_ptr<Message> request = New((*method)->input_type());
  fill(request.get());
  std::unique_ptr<Message> response = New((*method)->output_type());
  absl::Status called =
      CallUnary(*connection_, **method, *request, response.get());
  if (!called.ok()) return called;
  return response;
}

absl::Status RemoteBackend::Get(const TableInfo& table, const std::string& key,
                                Message* record) {
  auto got = Unary(table, "Get", [&](Message* request) {
    SetString(request, table.primary_key, key);
  });
  if (!got.ok()) return got.status();
  Assign(**got, record);
  return absl::OkStatus();
}

absl::Status RemoteBackend::Write(const TableInfo& table,
                                  const std::string& method, Message* record) {
  auto written = Unary(table, method, [&](Message* request) {
    const FieldDescriptor* f =
        FieldOfType(request->GetDescriptor(), table.record, false);
    if (f != nullptr) {
      Assign(*record, request->GetReflection()->MutableMessage(request, f));
    }
  });
  if (!written.ok()) return written.status();
  Assign(**written, record);
  return absl::OkStatus();
}

// A record without a key is inserted (the server assigns one); one with a
// key replaces the stored record (Update, whatever its revision), or is
// inserted when there is none.
absl::Status RemoteBackend::Put(const TableInfo& table, Message* record) {
  if (GetString(*record, table.primary_key).empty()) {
    return Write(table, "Insert", record);
  }
  absl::Status updated = Write(table, "Update", record);
  if (!absl::IsNotFound(updated)) return updated;
  return Write(table, "Insert", record);
}

absl::Status RemoteBackend::Delete(const TableInfo& table,
                                   const std::string& key) {
  return Unary(table, "Delete",
               [&](Message* request) {
                 SetString(request, table.primary_key, key);
               })
      .status();
}

std::string ParentKey(const Descriptor* record) {
  for (int i = 0; i < record->field_count(); ++i) {
    if (record->field(i)->options().GetExtension(lmdbapi::field).parent_key())
      return record->field(i)->name();
  }
  return "";
}

absl::Status RemoteBackend::List(const TableInfo& table,
                                 const ListOptions& options, RecordSink sink) {
  std::string parent_key = ParentKey(table.record);
  if (!options.parent.empty() && parent_key.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--parent: table ", table.name, " has no parent"));
  }
  size_t page_size = options.page_size;
  if (page_size == 0 && options.limit > 0 && options.limit < 1000) {
    page_size = options.limit;
  }
  std::string token;
  uint64_t seen = 0;
  do {
    auto page = Unary(table, "Filter", [&](Message* request) {
      SetString(request, "filter", options.filter);
      SetString(request, "order_by", options.order_by);
      SetInteger(request, "page_size", static_cast<int64_t>(page_size));
      SetString(request, "page_token", token);
      if (!parent_key.empty()) SetString(request, parent_key, options.parent);
    });
    if (!page.ok()) return page.status();
    const Message& m = **page;
    const FieldDescriptor* records =
        FieldOfType(m.GetDescriptor(), table.record, true);
    for (int i = 0;
         records != nullptr && i < m.GetReflection()->FieldSize(m, records);
         ++i) {
      absl::Status taken =
          sink(table, m.GetReflection()->GetRepeatedMessage(m, records, i));
      if (!taken.ok()) return taken;
      if (++seen == options.limit) return absl::OkStatus();
    }
    token = GetString(m, "next_page_token");
  } while (!token.empty());
  return absl::OkStatus();
}

// The Change message's type (INSERTED) as the local backend names it
// (INSERT).
std::string ChangeType(const std::string& name) {
  if (name == "INSERTED") return "INSERT";
  if (name == "UPDATED") return "UPDATE";
  if (name == "DELETED") return "DELETE";
  return name;
}

absl::Status RemoteBackend::Watch(
    const TableInfo& table, const std::string& filter, uint64_t from_revision,
    uint64_t max_changes,
    absl::FunctionRef<absl::Status(const std::string&, const Message&)> sink) {
  auto method = TableMethod(*reflection_->pool(), table, "Watch");
  if (!method.ok()) return method.status();
  std::unique_ptr<Message> request = New((*method)->input_type());
  SetInteger(request.get(), "start_revision",
             static_cast<int64_t>(from_revision));
  const FieldDescriptor* f =
      request->GetDescriptor()->FindFieldByName("filter");
  if (f != nullptr && f->message_type() != nullptr) {
    SetString(request->GetReflection()->MutableMessage(request.get(), f),
              "filter", filter);
  }
  uint64_t seen = 0;
  const Descriptor* change = (*method)->output_type();
  const FieldDescriptor* record = FieldOfType(change, table.record, false);
  const FieldDescriptor* type = change->FindFieldByName("type");
  absl::Status watched = CallServerStreaming(
      *connection_, **method, *request, *New(change), [&](const Message& m) {
        const auto* r = m.GetReflection();
        std::string name =
            type == nullptr ? "" : ChangeType(r->GetEnum(m, type)->name());
        absl::Status taken = sink(name, r->GetMessage(m, record));
        if (!taken.ok()) return taken;
        return ++seen == max_changes ? Enough() : absl::OkStatus();
      });
  return IsEnough(watched) ? absl::OkStatus() : watched;
}

absl::StatusOr<uint64_t> RemoteBackend::Count(const TableInfo& table) {
  auto counted = Unary(table, "Count", [](Message*) {});
  if (!counted.ok()) return counted.status();
  return GetInteger(**counted, "count");
}

// The record's server-maintained fields (revision, create_time,
// update_time): an export leaves them out, as a data directory's does, and
// an import sets them anew.
std::vector<const FieldDescriptor*> ServerFields(const Descriptor* record) {
  std::vector<const FieldDescriptor*> fields;
  for (int i = 0; i < record->field_count(); ++i) {
    const lmdbapi::Field& role =
        record->field(i)->options().GetExtension(lmdbapi::field);
    if (role.revision() || role.create_time() || role.update_time()) {
      fields.push_back(record->field(i));
    }
  }
  return fields;
}

absl::StatusOr<uint64_t> RemoteBackend::ExportTable(const TableInfo& table,
                                                    RecordSink sink,
                                                    Progress* progress) {
  auto method = TableMethod(*reflection_->pool(), table, "Export");
  if (!method.ok()) return method.status();
  const Descriptor* type = (*method)->output_type();
  const FieldDescriptor* records = FieldOfType(type, table.record, true);
  if (records == nullptr) {
    return absl::UnimplementedError(
        absl::StrCat((*method)->full_name(), ": ", type->full_name(),
                     " holds no ", table.record->full_name()));
  }
  uint64_t revision = 0;
  std::vector<const FieldDescriptor*> server_fields =
      ServerFields(table.record);
  std::unique_ptr<Message> record = New(table.record);
  absl::Status exported = CallServerStreaming(
      *connection_, **method, *New((*method)->input_type()), *New(type),
      [&](const Message& m) {
        const auto* r = m.GetReflection();
        int n = r->FieldSize(m, records);
        for (int i = 0; i < n; ++i) {
          record->CopyFrom(r->GetRepeatedMessage(m, records, i));
          for (const auto* f : server_fields) {
            record->GetReflection()->ClearField(record.get(), f);
          }
          absl::Status taken = sink(table, *record);
          if (!taken.ok()) return taken;
        }
        if (progress != nullptr) progress->Add(n);
        revision = std::max(revision, GetInteger(m, "revision"));
        return absl::OkStatus();
      });
  if (!exported.ok()) return exported;
  return revision;
}

// Each table through its Export stream, from the snapshot the server takes
// when the stream starts: tables exported one after the other are each
// consistent, not consistent with each other while writes go on (the
// revision returned is the latest of their snapshots).
absl::StatusOr<uint64_t> RemoteBackend::Export(
    const std::vector<const TableInfo*>& tables, RecordSink sink,
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

// A batch stays under the servers' default --max_message_bytes (4 MiB).
constexpr size_t kMaxBatchBytes = 3 << 20;

// Fills `request` with up to options.batch records (and kMaxBatchBytes) of
// `source`; false when the source ended, or stopped at a bad record (`stopped`)
// without skip_bad.
bool FillBatch(RecordSource& source, const ImportOptions& options,
               const FieldDescriptor* records, Message* request,
               std::vector<uint64_t>* lines, ImportResult* result,
               absl::Status* stopped) {
  const auto* r = request->GetReflection();
  size_t bytes = 0;
  while (r->FieldSize(*request, records) < static_cast<int>(options.batch) &&
         bytes < kMaxBatchBytes) {
    uint64_t line = 0;
    Message* record = r->AddMessage(request, records);
    absl::StatusOr<bool> next = source.Next(record, &line);
    if (!next.ok() || !*next) r->RemoveLast(request, records);
    if (next.ok() && !*next) return false;
    if (next.ok()) {
      lines->push_back(line);
      bytes += record->ByteSizeLong() + 8;
    } else if (options.skip_bad && absl::IsInvalidArgument(next.status())) {
      result->skipped.emplace_back(line, std::string(next.status().message()));
    } else {
      *stopped = next.status();
      return false;
    }
  }
  return true;
}

// The source's line of the record at `position` of the stream (from 1).
uint64_t LineOf(uint64_t position, const std::vector<uint64_t>& lines) {
  return position >= 1 && position <= lines.size() ? lines[position - 1]
                                                   : position;
}

// The server's "record N: ..." (N: the place in the stream) as
// "line L: ...", L the source's line of that record.
std::string WithLine(absl::string_view error,
                     const std::vector<uint64_t>& lines) {
  constexpr absl::string_view kRecord = "record ";
  size_t at = error.find(kRecord);
  if (at == absl::string_view::npos) return std::string(error);
  size_t end = at + kRecord.size();
  uint64_t position = 0;
  while (end < error.size() && absl::ascii_isdigit(error[end])) {
    position = position * 10 + (error[end++] - '0');
  }
  if (end == at + kRecord.size()) return std::string(error);
  return absl::StrCat(error.substr(0, at), "line ", LineOf(position, lines),
                      error.substr(end));
}

// What the server reports, its skipped records told by the source's lines.
void TakeImportResponse(const Message& response,
                        const std::vector<uint64_t>& lines,
                        ImportResult* result) {
  result->imported = GetInteger(response, "imported");
  result->revision = GetInteger(response, "revision");
  const FieldDescriptor* skipped =
      response.GetDescriptor()->FindFieldByName("skipped");
  if (skipped == nullptr || skipped->message_type() == nullptr) return;
  const auto* r = response.GetReflection();
  for (int i = 0; i < r->FieldSize(response, skipped); ++i) {
    const Message& s = r->GetRepeatedMessage(response, skipped, i);
    uint64_t line = LineOf(GetInteger(s, "position"), lines);
    result->skipped.emplace_back(line, WithLine(GetString(s, "error"), lines));
  }
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
  if (records == nullptr || options.batch == 0) {
    return absl::UnimplementedError(absl::StrCat((*method)->full_name(), ": ",
                                                 in->full_name(), " holds no ",
                                                 table.record->full_name()));
  }
  ImportResult result;
  std::vector<uint64_t> lines;
  absl::Status stopped;
  bool ended = false;
  std::unique_ptr<Message> response = New((*method)->output_type());
  absl::Status called = CallMethod(
      *connection_, **method, *New(in), *response,
      [&](Message* request) -> absl::StatusOr<bool> {
        if (ended) return false;
        ended = !FillBatch(source, options, records, request, &lines, &result,
                           &stopped);
        SetBool(request, "skip_bad", options.skip_bad);
        int n = request->GetReflection()->FieldSize(*request, records);
        if (progress != nullptr) progress->Add(n);
        return n > 0;
      },
      [&](const Message& got) {
        response->CopyFrom(got);
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

template <typename Request, typename Response, typename Call>
absl::StatusOr<Response> RemoteBackend::Admin(const char* name,
                                              const Request& request,
                                              Call call) {
  // Stat and Rebuild answer at once; Verify and Backup take their time.
  std::string method = name;
  auto context =
      connection_->NewContext(method == "Stat" || method == "Rebuild");
  Response response;
  grpc::Status status = call(admin_.get(), context.get(), request, &response);
  if (!status.ok()) return FromGrpc(status, absl::StrCat("Admin/", name));
  return response;
}

absl::StatusOr<admin::v1::StatResponse> RemoteBackend::Stat() {
  return Admin<admin::v1::StatRequest, admin::v1::StatResponse>(
      "Stat", admin::v1::StatRequest(),
      [](auto* stub, auto* context, const auto& request, auto* response) {
        return stub->Stat(context, request, response);
      });
}

absl::StatusOr<admin::v1::VerifyResponse> RemoteBackend::Verify(
    Progress* progress) {
  auto verified = Admin<admin::v1::VerifyRequest, admin::v1::VerifyResponse>(
      "Verify", admin::v1::VerifyRequest(),
      [](auto* stub, auto* context, const auto& request, auto* response) {
        return stub->Verify(context, request, response);
      });
  if (verified.ok() && progress != nullptr) {
    progress->Set(verified->records());
    progress->Finish();
  }
  return verified;
}

absl::StatusOr<admin::v1::RebuildResponse> RemoteBackend::Rebuild(
    const std::string& table, const std::string& index, Progress* progress) {
  admin::v1::RebuildRequest request;
  request.set_table(table);
  request.set_index(index);
  auto started = Admin<admin::v1::RebuildRequest, admin::v1::RebuildResponse>(
      "Rebuild", request,
      [](auto* stub, auto* context, const auto& request, auto* response) {
        return stub->Rebuild(context, request, response);
      });
  if (!started.ok()) return started;
  absl::Status built = WaitForBuilds(*started, progress);
  if (!built.ok()) return built;
  return started;
}

// Polls Stat until every index of `started` is ready (or one failed),
// reporting the records indexed so far to `progress` (if any): a rebuild
// returns when done, as on a data directory.
absl::Status RemoteBackend::WaitForBuilds(
    const admin::v1::RebuildResponse& started, Progress* progress) {
  std::set<std::string> names(started.started().begin(),
                              started.started().end());
  while (true) {
    auto stat = Stat();
    if (!stat.ok()) return stat.status();
    uint64_t built = 0, total = 0;
    bool ready = true;
    for (const auto& t : stat->tables()) {
      for (const auto& i : t.indexes()) {
        if (names.count(absl::StrCat(t.table(), ".", i.name())) == 0) continue;
        if (i.state() == "failed") {
          return absl::InternalError(absl::StrCat(
              "index ", t.table(), ".", i.name(), " failed: ", i.error()));
        }
        bool done = i.state() == "ready";
        ready = ready && done;
        built += done ? t.records() : i.built();
        total += done ? t.records() : i.total();
      }
    }
    if (progress != nullptr) {
      progress->set_total(total);
      progress->Set(built);
    }
    if (ready) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  if (progress != nullptr) progress->Finish();
  return absl::OkStatus();
}

absl::StatusOr<admin::v1::BackupResponse> RemoteBackend::Backup(
    const std::string& destination, Progress* progress) {
  admin::v1::BackupRequest request;
  request.set_name(destination);
  auto backup = Admin<admin::v1::BackupRequest, admin::v1::BackupResponse>(
      "Backup", request,
      [](auto* stub, auto* context, const auto& request, auto* response) {
        return stub->Backup(context, request, response);
      });
  if (backup.ok() && progress != nullptr) {
    uint64_t records = 0;
    for (const auto& [table, n] : backup->records()) records += n;
    progress->Set(records);
    progress->Finish();
  }
  return backup;
}

// The schema's files (those that declare the tables' records), as .proto
// text.
absl::StatusOr<std::string> RemoteBackend::Schema() {
  std::string text;
  std::set<std::string> seen;
  for (const TableInfo& t : tables_) {
    const auto* file = t.record->file();
    if (!seen.insert(file->name()).second) continue;
    absl::StrAppend(&text, text.empty() ? "" : "\n", "// ", file->name(), "\n",
                    file->DebugString());
  }
  if (text.empty()) {
    return absl::NotFoundError("the server serves no table");
  }
  return text;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Backend>> OpenRemoteBackend(
    const RemoteOptions& options) {
  auto connection = Connection::Open(options);
  if (!connection.ok()) return connection.status();
  auto reflection = std::make_unique<ReflectionClient>(connection->get());
  auto services = reflection->ListServices();
  if (!services.ok()) return services.status();
  auto tables = FindRemoteTables(*reflection, *services);
  if (!tables.ok()) return tables.status();
  return std::unique_ptr<Backend>(new RemoteBackend(
      *std::move(connection), std::move(reflection), *std::move(tables)));
}

}  // namespace lmdbapi::cli
