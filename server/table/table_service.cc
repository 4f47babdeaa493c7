#include "server/table/table_service.h"

#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "google/protobuf/io/coded_stream.h"
#include "model/request_access.h"
#include "model/request_layout.h"
#include "server/observability/log.h"
#include "server/table/byte_buffer_view.h"
#include "server/table/canonical_insert.h"
#include "server/table/filter_request.h"
#include "server/table/parse_errors.h"
#include "server/table/read_mask.h"
#include "server/table/shard_key.h"
#include "server/table/write_conditions.h"
#include "storage/coding.h"

namespace lmdbapi::server {

using google::protobuf::Message;

// A Filter page reserves room for this many records at its first, and at
// most kPageRoom bytes (gRPC's default message size limit).
constexpr size_t kPageStart = 64;
constexpr size_t kPageRoom = 4 << 20;

TableService::TableService(storage::Table* table, std::string service,
                           AnswerQueue* answers, const access::Access* access)
    : table_(table),
      service_(std::move(service)),
      answers_(answers),
      access_(access) {}

bool TableService::Refused(const Context& context,
                           access::Permission permission, Reactor* reactor,
                           const char* method, Clock::time_point start) const {
  absl::Status status = Admit(context, permission);
  if (status.ok()) return false;
  Finish(reactor, method, start, status);
  return true;
}

bool TableService::RawReadEnded(Context* context, const RawCall& call,
                                const char* method,
                                const grpc::ByteBuffer& bytes,
                                ByteBufferView* wire,
                                grpc::ByteBuffer* response) const {
  if (Refused(*context, access::Permission::kRead, call.reactor, method,
              call.start)) {
    return true;
  }
  absl::Status parsed =
      ParseRequest(bytes, {full_service_, method}, call.request, wire);
  if (!parsed.ok()) {
    Finish(call.reactor, method, call.start, parsed);
    return true;
  }
  return Unreadable(context, call.reactor, method, call.start,
                    Resend(*call.request, response), call.counted, call.wants);
}

bool TableService::Unreadable(Context* context, Reactor* reactor,
                              const char* method, Clock::time_point start,
                              const ForwardAs& forward,
                              CallLimit::Ticket* counted,
                              const ReadConsistency::Wants& wants) const {
  if (reads_ == nullptr) return false;
  absl::Status status = reads_->BeforeRead(context, wants);
  if (status.ok()) return false;
  if (!Forwarded(context, reactor, method, start, status, forward, counted)) {
    Finish(reactor, method, start, status);
  }
  return true;
}

void TableService::Record(const char* method, Clock::time_point start,
                          const absl::Status& status,
                          absl::string_view detail) const {
  if (metrics_ != nullptr) {
    metrics_->Record(service_, method, status.code(),
                     std::chrono::duration_cast<std::chrono::microseconds>(
                         Clock::now() - start)
                         .count());
  }
  if (LogEnabled(LogLevel::kDebug)) {
    auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                      Clock::now() - start)
                      .count();
    Log(LogLevel::kDebug, "%s.%s %s %dus%s%s", service_, method,
        absl::StatusCodeToString(status.code()), micros,
        detail.empty() ? "" : " ", detail);
  }
}

void TableService::Finish(Reactor* reactor, const char* method,
                          Clock::time_point start, const absl::Status& status,
                          absl::string_view detail) const {
  // Before the answer leaves: a client that has its answer finds it counted.
  Record(method, start, status, detail);
  reactor->Finish(ToGrpcStatus(status));
}

absl::Status TableService::Admit(const Context& context,
                                 access::Permission permission) const {
  if (limit_ != nullptr) {
    absl::Status admitted = limit_->Admit();
    if (!admitted.ok()) return admitted;
  }
  if (access_ == nullptr || !access_->enabled()) return absl::OkStatus();
  return access_->Allow(context, table_->name(), permission);
}

ImportSetup TableService::ImportSetupFor(Context* context) {
  auto start = Clock::now();
  ImportSetup setup;
  setup.table = table_;
  setup.answers = answers_;
  setup.admit = [this, context] {
    return Admit(*context, access::Permission::kWrite);
  };
  if (shard_key_ != nullptr) {
    setup.check = [this, context](const Message& record) {
      return CheckShardKey(*context, shard_key_, record);
    };
  }
  setup.finished = [this, start](const absl::Status& status,
                                 uint64_t imported) {
    Record("Import", start, status,
           LogEnabled(LogLevel::kDebug)
               ? absl::StrCat(imported, " records stored")
               : "");
  };
  return setup;
}

ExportSetup TableService::ExportSetupFor(const Context& context) {
  auto start = Clock::now();
  ExportSetup setup;
  setup.table = table_;
  setup.admit = [this, &context] {
    return Admit(context, access::Permission::kRead);
  };
  setup.finished = [this, start](const absl::Status& status,
                                 uint64_t exported) {
    Record("Export", start, status,
           LogEnabled(LogLevel::kDebug)
               ? absl::StrCat(exported, " records sent")
               : "");
  };
  return setup;
}

TableService::ForwardAs TableService::Resend(const Message& request,
                                             Message* response) {
  return ForwardAs{[&request] { return request.SerializeAsString(); },
                   [response](const std::string& answer) {
                     return response->ParseFromString(answer);
                   }};
}

TableService::ForwardAs TableService::Resend(const Message& request,
                                             grpc::ByteBuffer* response) {
  return ForwardAs{[&request] { return request.SerializeAsString(); },
                   [response](const std::string& answer) {
                     *response = ByteBufferOf(answer);
                     return true;
                   }};
}

bool TableService::Forwarded(Context* context, Reactor* reactor,
                             const char* method, Clock::time_point start,
                             const absl::Status& status,
                             const ForwardAs& forward,
                             CallLimit::Ticket* counted) const {
  if (forwarder_ == nullptr || !forward.request) return false;
  std::string leader = LeaderForwarder::LeaderFor(status, *context);
  if (leader.empty()) return false;
  auto held = counted == nullptr
                  ? nullptr
                  : std::make_shared<CallLimit::Ticket>(std::move(*counted));
  forwarder_->Forward(
      context, leader, absl::StrCat("/", full_service_, "/", method),
      forward.request(),
      [this, reactor, method, start, answer = forward.answer,
       held = std::move(held)](grpc::Status s, std::string bytes) {
        if (s.ok() && !answer(bytes)) {
          s = grpc::Status(grpc::StatusCode::INTERNAL,
                           "the leader's answer did not parse");
        }
        Record(method, start,
               absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                            s.error_message()),
               "(forwarded to the leader)");
        reactor->Finish(s);
      });
  return true;
}

storage::Table::Done TableService::FinishWrite(
    Context* context, Reactor* reactor, const char* method,
    Clock::time_point start, std::shared_ptr<storage::RecordVersion> version,
    Message* record, ForwardAs forward) const {
  return [this, context, reactor, method, start, version = std::move(version),
          record, forward = std::move(forward)](const absl::Status& status) {
    if (!status.ok() &&
        Forwarded(context, reactor, method, start, status, forward)) {
      return;
    }
    if (status.ok() && version != nullptr && version->revision != 0) {
      context->AddInitialMetadata("etag", Etag(version->revision));
      if (record != nullptr) {
        storage::SetVersionFields(table_->schema(), *version, record);
      }
    }
    Finish(reactor, method, start, status);
  };
}

namespace {

// BatchInsert's request and response as model/request_layout.h lays them
// out: the records, each a kRecords field.
std::string RecordsField(const std::vector<Message*>& records) {
  std::string out;
  for (const Message* record : records) {
    storage::PutWireBytes(model::layout::kRecords, record->SerializeAsString(),
                          &out);
  }
  return out;
}

bool TakeRecordsField(const std::string& answer,
                      const std::vector<Message*>& records) {
  google::protobuf::io::CodedInputStream in(
      reinterpret_cast<const uint8_t*>(answer.data()),
      static_cast<int>(answer.size()));
  size_t i = 0;
  for (uint32_t tag = in.ReadTag(); tag != 0; tag = in.ReadTag()) {
    std::string bytes;
    uint32_t size;
    if (tag >> 3 != model::layout::kRecords || (tag & 7) != 2 ||
        !in.ReadVarint32(&size) || !in.ReadString(&bytes, size) ||
        i >= records.size() || !records[i++]->ParseFromString(bytes)) {
      return false;
    }
  }
  return i == records.size();
}

// The request's field of the record's type.
const google::protobuf::FieldDescriptor* RecordField(
    const google::protobuf::Descriptor& shape,
    const google::protobuf::Descriptor* type) {
  for (int i = 0; i < shape.field_count(); ++i) {
    const google::protobuf::FieldDescriptor* field = shape.field(i);
    if (field->message_type() == type && !field->is_repeated()) return field;
  }
  return nullptr;
}

// INVALID_ARGUMENT naming the request's record field, which it lacks.
absl::Status RecordRequired(const Message& request,
                            const google::protobuf::Descriptor* type,
                            absl::string_view verb) {
  const google::protobuf::FieldDescriptor* field =
      RecordField(*request.GetDescriptor(), type);
  if (field == nullptr) {
    return absl::InternalError(absl::StrCat(request.GetTypeName(), " has no ",
                                            type->full_name(), " field"));
  }
  return absl::InvalidArgumentError(
      absl::StrCat(field->name(), ": required: the ", type->name(), " to ",
                   verb, " (the request has none)"));
}

// Copies the request's record (its one field of the record's type) into
// `record`; INVALID_ARGUMENT naming the field when the request lacks it.
absl::Status TakeRecord(const Message& request, Message* record,
                        absl::string_view verb) {
  const google::protobuf::FieldDescriptor* field =
      RecordField(*request.GetDescriptor(), record->GetDescriptor());
  if (field == nullptr || !request.GetReflection()->HasField(request, field)) {
    return RecordRequired(request, record->GetDescriptor(), verb);
  }
  record->CopyFrom(request.GetReflection()->GetMessage(request, field));
  return absl::OkStatus();
}

// The options of a write call: its deadline, the revision it expects (0:
// any) and where the written version goes (may be null).
storage::WriteOptions WriteOptionsOf(const grpc::CallbackServerContext& context,
                                     uint64_t expected_revision,
                                     storage::RecordVersion* version) {
  storage::WriteOptions options;
  options.deadline = context.deadline();
  options.expected_revision = expected_revision;
  options.version = version;
  return options;
}

}  // namespace

absl::Status TableService::SentRecord(const Context& context, Message* request,
                                      Message** record,
                                      const char* verb) const {
  const google::protobuf::FieldDescriptor* field =
      RecordField(*request->GetDescriptor(), table_->schema().descriptor);
  if (field == nullptr ||
      !request->GetReflection()->HasField(*request, field)) {
    return RecordRequired(*request, table_->schema().descriptor, verb);
  }
  *record = request->GetReflection()->MutableMessage(request, field);
  return CheckShardKey(context, shard_key_, **record);
}

void TableService::RawWriteCall::Take(absl::string_view stored,
                                      absl::string_view version_fields) {
  *response = ByteBufferOf(stored, version_fields);
}

TableService::Reactor* TableService::WriteBytes(Context* context, Write write,
                                                const grpc::ByteBuffer& bytes,
                                                const Message& request_type,
                                                grpc::ByteBuffer* response) {
  const bool insert = write == Write::kInsert;
  const char* method = insert ? "Insert" : "Update";
  auto call = std::make_shared<RawWriteCall>(response);
  call->counted = Counted();
  auto start = Clock::now();
  Reactor* reactor = context->DefaultReactor();
  if (Refused(*context, access::Permission::kWrite, reactor, method, start))
    return reactor;
  call->request.reset(request_type.New());
  storage::WriteOptions options = WriteOptionsOf(*context, 0, &call->version);
  options.answer = call.get();
  storage::Table::Done done = [this, context, reactor, method, start, call,
                               response](const absl::Status& status) {
    if (!status.ok() &&
        Forwarded(context, reactor, method, start, status,
                  Resend(*call->request, response), &call->counted)) {
      return;
    }
    if (status.ok()) {
      context->AddInitialMetadata("etag", Etag(call->version.revision));
    }
    Finish(reactor, method, start, status);
  };
  // Most inserts send a canonical record, stored as it came (no request
  // to forward: not on a replica; no shard key to check on the record).
  if (insert && shard_key_ == nullptr && forwarder_ == nullptr &&
      !table_->replicated()) {
    CanonicalInsert canonical;
    if (canonical.Read(bytes, *table_)) {
      table_->InsertCanonical(canonical.record, options, std::move(done));
      return reactor;
    }
  }
  Message* record = nullptr;
  absl::Status s = ReadRawWrite(*context, method, bytes, call->request.get(),
                                &record, insert ? nullptr : &options);
  if (!s.ok()) {
    Finish(reactor, method, start, s);
    return reactor;
  }
  if (insert) {
    table_->Insert(record, options, std::move(done));
  } else {
    table_->Update(*record, options, std::move(done));
  }
  return reactor;
}

absl::Status TableService::ReadRawWrite(const Context& context,
                                        const char* method,
                                        const grpc::ByteBuffer& bytes,
                                        Message* request, Message** record,
                                        storage::WriteOptions* update) const {
  LMDBAPI_RETURN_IF_ERROR(
      ParseRequest(bytes, {full_service_, method}, request));
  LMDBAPI_RETURN_IF_ERROR(SentRecord(context, request, record,
                                     update == nullptr ? "insert" : "update"));
  if (update != nullptr) {
    LMDBAPI_ASSIGN_OR_RETURN(
        update->expected_revision,
        ExpectedRevision(context, model::UpdateExpectedRevision(*request)));
  }
  return absl::OkStatus();
}

template <typename Read>
TableService::Reactor* TableService::RawRead(Context* context, Message* request,
                                             Message* answer, Read read) {
  CallLimit::Ticket counted = Counted();
  RawCall call{context->DefaultReactor(), Clock::now(), &counted, request,
               answer};
  if (reads_ != nullptr) call.wants = ReadConsistency::Wants::Of(*context);
  if (reads_ == nullptr || !reads_->MustWait(call.wants)) {
    read(call);
    return call.reactor;
  }
  // It waits on a thread of its own, with messages of its own (the
  // generated service's are gone when this returns).
  auto held = std::make_shared<CallLimit::Ticket>(std::move(counted));
  std::shared_ptr<Message> own_request(request->New());
  std::shared_ptr<Message> own_answer(answer ? answer->New() : nullptr);
  reads_->RunWaiting([call, read, held, own_request, own_answer]() mutable {
    call.counted = held.get();
    call.request = own_request.get();
    call.answer = own_answer.get();
    read(call);
  });
  return call.reactor;
}

TableService::Reactor* TableService::GetBytes(Context* context,
                                              const grpc::ByteBuffer& bytes,
                                              Message* request,
                                              const Message& record_type,
                                              grpc::ByteBuffer* response) {
  return RawRead(context, request, nullptr,
                 [=, &bytes, &record_type](const RawCall& call) {
                   GetRead(context, call, bytes, record_type, response);
                 });
}

void TableService::GetRead(Context* context, const RawCall& call,
                           const grpc::ByteBuffer& bytes,
                           const Message& record_type,
                           grpc::ByteBuffer* response) const {
  ByteBufferView request_wire;
  if (RawReadEnded(context, call, "Get", bytes, &request_wire, response)) {
    return;
  }
  // Most Gets send no read_mask: its absence is read from the tags.
  absl::StatusOr<google::protobuf::FieldMask> mask =
      model::WireHasField(request_wire.bytes(),
                          model::layout::kGetReadMask.number)
          ? ReadMask(record_type.GetDescriptor(),
                     model::GetReadMaskPaths(*call.request))
          : google::protobuf::FieldMask();
  if (!mask.ok()) {
    Finish(call.reactor, "Get", call.start, mask.status());
    return;
  }
  storage::RecordVersion version;
  absl::Status status;
  if (mask->paths().empty()) {  // copied once, from the map to the answer
    status = table_->GetWire(
        model::Key(*call.request),
        [response](absl::string_view stored, absl::string_view fields) {
          *response = ByteBufferOf(stored, fields);
        },
        &version);
  } else {  // trimmed: parsed, then serialized
    std::unique_ptr<Message> record(record_type.New());
    status = table_->Get(model::Key(*call.request), record.get(), &version);
    if (status.ok()) ApplyReadMask(*mask, record.get());
    if (status.ok()) *response = ByteBufferOf(record->SerializeAsString());
  }
  if (status.ok() && version.revision != 0) {
    context->AddInitialMetadata("etag", Etag(version.revision));
  }
  Finish(call.reactor, "Get", call.start, status);
}

TableService::Reactor* TableService::Patch(Context* context,
                                           const Message& request,
                                           Message* response) {
  auto start = Clock::now();
  Reactor* reactor = context->DefaultReactor();
  if (Refused(*context, access::Permission::kWrite, reactor, "Patch", start))
    return reactor;
  std::unique_ptr<Message> patch(response->New());
  absl::Status s = TakeRecord(request, patch.get(), "patch");
  absl::StatusOr<std::vector<std::string>> paths;
  if (s.ok()) {
    paths = PatchPaths(request, *patch, table_->schema());
    s = paths.status();
  }
  if (s.ok() && shard_key_ != nullptr &&
      std::find(paths->begin(), paths->end(), shard_key_->name()) !=
          paths->end()) {
    s = CheckShardKey(*context, shard_key_, *patch);
  }
  absl::StatusOr<uint64_t> expected =
      ExpectedRevision(*context, model::PatchExpectedRevision(request));
  if (s.ok()) s = expected.status();
  if (!s.ok()) {
    Finish(reactor, "Patch", start, s);
    return reactor;
  }
  auto version = std::make_shared<storage::RecordVersion>();
  table_->Patch(*patch, *std::move(paths), response,
                WriteOptionsOf(*context, *expected, version.get()),
                FinishWrite(context, reactor, "Patch", start, version, nullptr,
                            Resend(request, response)));
  return reactor;
}

TableService::Reactor* TableService::Delete(Context* context,
                                            const std::string& pk,
                                            int64_t expected_revision) {
  auto start = Clock::now();
  Reactor* reactor = context->DefaultReactor();
  if (Refused(*context, access::Permission::kWrite, reactor, "Delete", start))
    return reactor;
  absl::StatusOr<uint64_t> expected =
      ExpectedRevision(*context, expected_revision);
  if (!expected.ok()) {
    Finish(reactor, "Delete", start, expected.status());
    return reactor;
  }
  // Delete<Record>Request as model/request_layout.h lays it out.
  ForwardAs forward{[pk, expected_revision] {
                      std::string request;
                      storage::PutWireBytes(model::layout::kKey, pk, &request);
                      storage::PutWireVarint(
                          model::layout::kExpectedRevision.number,
                          static_cast<uint64_t>(expected_revision), &request);
                      return request;
                    },
                    [](const std::string&) { return true; }};
  table_->Delete(pk, WriteOptionsOf(*context, *expected, nullptr),
                 FinishWrite(context, reactor, "Delete", start, nullptr,
                             nullptr, std::move(forward)));
  return reactor;
}

TableService::Reactor* TableService::BatchInsertRecords(
    Context* context, std::vector<Message*> records) {
  auto start = Clock::now();
  Reactor* reactor = context->DefaultReactor();
  if (Refused(*context, access::Permission::kWrite, reactor, "BatchInsert",
              start))
    return reactor;
  for (const Message* record : records) {
    if (absl::Status s = CheckShardKey(*context, shard_key_, *record);
        !s.ok()) {
      Finish(reactor, "BatchInsert", start, s);
      return reactor;
    }
  }
  ForwardAs forward{[records] { return RecordsField(records); },
                    [records](const std::string& answer) {
                      return TakeRecordsField(answer, records);
                    }};
  table_->BatchInsert(
      records, FinishWrite(context, reactor, "BatchInsert", start, nullptr,
                           nullptr, std::move(forward)));
  return reactor;
}

TableService::Reactor* TableService::FilterBytes(
    Context* context, const char* method, const grpc::ByteBuffer& bytes,
    Message* request, const Message& record_type, grpc::ByteBuffer* response) {
  return RawRead(context, request, nullptr,
                 [=, &bytes, &record_type](const RawCall& call) {
                   FilterRead(context, method, call, bytes, record_type,
                              response);
                 });
}

void TableService::FilterRead(Context* context, const char* method,
                              const RawCall& call,
                              const grpc::ByteBuffer& bytes,
                              const Message& record_type,
                              grpc::ByteBuffer* response) const {
  ByteBufferView wire;
  if (RawReadEnded(context, call, method, bytes, &wire, response)) {
    return;
  }
  absl::StatusOr<storage::Query> query = QueryFromRequest(
      *call.request, wire.bytes(), table_->schema().descriptor);
  absl::StatusOr<google::protobuf::FieldMask> mask = ReadMask(
      table_->schema().descriptor, model::ReadMaskPaths(*call.request));
  absl::Status s = query.ok() ? mask.status() : query.status();
  std::string page, plan;
  size_t scanned = 0;
  if (s.ok())
    s = FilterPage(*query, *mask, record_type, &page, &plan, &scanned);
  if (s.ok()) *response = ByteBufferOf(std::move(page));
  Finish(call.reactor, method, call.start, s,
         s.ok() && LogEnabled(LogLevel::kDebug)
             ? absl::StrCat("plan: ", plan, "; scanned ", scanned)
             : "");
}

absl::Status TableService::FilterPage(const storage::Query& query,
                                      const google::protobuf::FieldMask& mask,
                                      const Message& record_type,
                                      std::string* page, std::string* plan,
                                      size_t* scanned) const {
  storage::FilterResult result;
  if (mask.paths().empty()) {
    LMDBAPI_RETURN_IF_ERROR(table_->FilterWire(
        query,
        [page, records = table_->PageSizeOf(query)](
            absl::string_view stored, absl::string_view appended) {
          // Room as this record predicts, so that doubling does not copy
          // the page again: first for kPageStart records (a query that
          // matches few keeps little), then, once those fill, for the whole
          // page up to the message size gRPC accepts by default.
          const size_t need = stored.size() + appended.size() + 8;
          if (page->capacity() - page->size() < need) {
            const size_t n =
                page->empty() ? std::min(records, kPageStart) : records;
            page->reserve(std::min(n * need, kPageRoom));
          }
          storage::PutWireBytesHeader(model::layout::kPageRecords,
                                      stored.size() + appended.size(), page);
          page->append(stored.data(), stored.size());
          page->append(appended.data(), appended.size());
        },
        &result));
  } else {  // trimmed: each record parsed, then serialized
    std::vector<std::unique_ptr<Message>> records;
    LMDBAPI_ASSIGN_OR_RETURN(result, table_->Filter(query, [&] {
      records.emplace_back(record_type.New());
      return records.back().get();
    }));
    for (const auto& record : records) {
      ApplyReadMask(mask, record.get());
      storage::PutWireBytes(model::layout::kPageRecords,
                            record->SerializeAsString(), page);
    }
  }
  *plan = result.plan->description;
  *scanned = result.scanned;
  if (!result.next_page_token.empty()) {
    storage::PutWireBytes(model::layout::kNextPageToken.number,
                          result.next_page_token, page);
  }
  if (!plan->empty()) {
    storage::PutWireBytes(model::layout::kPlan.number, *plan, page);
  }
  return absl::OkStatus();
}

TableService::Reactor* TableService::CountBytes(Context* context,
                                                const grpc::ByteBuffer& bytes,
                                                Message* request,
                                                Message* answer,
                                                grpc::ByteBuffer* response) {
  return RawRead(context, request, answer, [=, &bytes](const RawCall& call) {
    CountRead(context, call, bytes, response);
  });
}

void TableService::CountRead(Context* context, const RawCall& call,
                             const grpc::ByteBuffer& bytes,
                             grpc::ByteBuffer* response) const {
  ByteBufferView wire;
  if (RawReadEnded(context, call, "Count", bytes, &wire, response)) {
    return;
  }
  absl::StatusOr<storage::Query> query = QueryFromRequest(
      *call.request, wire.bytes(), table_->schema().descriptor);
  absl::StatusOr<storage::CountResult> result =
      query.ok() ? table_->Count(*query)
                 : absl::StatusOr<storage::CountResult>(query.status());
  if (!result.ok()) {
    Finish(call.reactor, "Count", call.start, result.status());
    return;
  }
  const std::string& plan = result->plan->description;
  model::SetCount(call.answer, static_cast<int64_t>(result->count), plan);
  *response = ByteBufferOf(call.answer->SerializeAsString());
  Finish(call.reactor, "Count", call.start, absl::OkStatus(),
         LogEnabled(LogLevel::kDebug)
             ? absl::StrCat("plan: ", plan, "; scanned ", result->scanned,
                            result->index_only ? " (index only)" : "")
             : "");
}

}  // namespace lmdbapi::server
