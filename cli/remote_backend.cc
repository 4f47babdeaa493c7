#include "cli/remote_backend.h"

#include <set>
#include <utility>

#include "cli/remote_backend_impl.h"
#include "cli/remote_tables.h"

namespace lmdbapi::cli {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

// The sink has seen enough: ends a stream without an error.
absl::Status Enough() { return absl::CancelledError("lmdbapi: enough"); }
bool IsEnough(const absl::Status& s) {
  return absl::IsCancelled(s) && s.message() == "lmdbapi: enough";
}

// A Filter or Count request's condition: its filter and parent key.
void SetCondition(const TableInfo& table, const ListOptions& options,
                  Message* request) {
  SetString(request, "filter", options.filter);
  if (!options.parent.empty()) {
    SetString(request, table.parent_key, options.parent);
  }
}

// The Change message's type (INSERTED) as the local backend names it
// (INSERT).
std::string ChangeType(const std::string& name) {
  if (name == "INSERTED") return "INSERT";
  if (name == "UPDATED") return "UPDATE";
  if (name == "DELETED") return "DELETE";
  return name;
}

}  // namespace

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

absl::Status RemoteBackend::List(const TableInfo& table,
                                 const ListOptions& options, RecordSink sink) {
  size_t page_size = options.page_size;
  if (page_size == 0 && options.limit > 0 && options.limit < 1000) {
    page_size = options.limit;
  }
  std::string token;
  uint64_t seen = 0;
  do {
    auto page = Unary(table, "Filter", [&](Message* request) {
      SetCondition(table, options, request);
      SetString(request, "order_by", options.order_by);
      SetInteger(request, "page_size", static_cast<int64_t>(page_size));
      SetString(request, "page_token", token);
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

absl::StatusOr<CountAnswer> RemoteBackend::Count(const TableInfo& table,
                                                 const ListOptions& options) {
  auto answer = Unary(table, "Count", [&](Message* request) {
    SetCondition(table, options, request);
  });
  if (!answer.ok()) return answer.status();
  return CountAnswer{GetInteger(**answer, "count"),
                     GetString(**answer, "plan")};
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
