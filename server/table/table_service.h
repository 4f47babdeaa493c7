// The implementation behind every generated table service: each generated
// method forwards here with its request's fields. Reads run inline on the
// gRPC callback thread (microseconds); writes go to storage's group-commit
// writer and the call finishes from the writer thread once durable, so no
// gRPC thread ever waits on an fsync.
//
// Every call is logged at debug level with its status and latency in µs.
#ifndef LMDBAPI_SERVER_TABLE_TABLE_SERVICE_H_
#define LMDBAPI_SERVER_TABLE_TABLE_SERVICE_H_

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "google/protobuf/field_mask.pb.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/server_callback.h"
#include "server/access/access.h"
#include "server/observability/metrics.h"
#include "server/replication/leader_forwarder.h"
#include "server/table/answer_queue.h"
#include "server/table/byte_buffer_view.h"
#include "server/table/call_limit.h"
#include "server/table/change_feed.h"
#include "server/table/export_stream.h"
#include "server/table/grpc_status.h"
#include "server/table/import_stream.h"
#include "server/table/read_consistency.h"
#include "server/table/watcher.h"
#include "storage/table.h"

namespace lmdbapi::server {

class TableService {
 public:
  using Context = grpc::CallbackServerContext;
  using Reactor = grpc::ServerUnaryReactor;

  // `service` names the gRPC service in logs, e.g. "Permits". Writes are
  // answered on the writer's thread once durable (cheaper than handing each
  // answer to another thread: docs/BENCHMARKS.md); an Import's batches from
  // `answers` (shared by the tables), since the next batch is prepared
  // there, off the writer's thread.
  // Every call must pass `access` (nullptr or disabled: open) with its
  // permission on this table: read, write (Import too) or, for Watch and
  // Export, read.
  TableService(storage::Table* table, std::string service, AnswerQueue* answers,
               const access::Access* access = nullptr);

  // Insert and Update, raw methods of the generated service: `request` is
  // the serialized `Request` (its record, required: INVALID_ARGUMENT naming
  // the field; Update's expected_revision). Each parses its request itself
  // and counts itself against --max_in_flight (no gRPC interceptor), and
  // answers the record as stored with its version fields appended, the
  // bytes a Get would answer (WriteOptions::answer), never serialized again.
  enum class Write { kInsert, kUpdate };
  template <typename Request>
  Reactor* WriteBytes(Context* context, Write write,
                      const grpc::ByteBuffer& request,
                      grpc::ByteBuffer* response) {
    return WriteBytes(context, write, request, Request::default_instance(),
                      response);
  }
  Reactor* WriteBytes(Context* context, Write write,
                      const grpc::ByteBuffer& bytes,
                      const google::protobuf::Message& request_type,
                      grpc::ByteBuffer* response);
  // Get, a raw method of the generated service: `request` is the
  // serialized `Request` (its key and read_mask). Without a read_mask the
  // answer is the stored record's bytes with its version fields appended
  // (Table::GetWire), never parsed nor serialized again; with one, the record
  // parsed, trimmed and serialized.
  template <typename Request, typename Record>
  Reactor* GetBytes(Context* context, const grpc::ByteBuffer& request,
                    grpc::ByteBuffer* response) {
    Request parsed;
    return GetBytes(context, request, &parsed, Record::default_instance(),
                    response);
  }
  Reactor* GetBytes(Context* context, const grpc::ByteBuffer& bytes,
                    google::protobuf::Message* request,
                    const google::protobuf::Message& record_type,
                    grpc::ByteBuffer* response);
  // Update, Patch and Delete take the revision they expect from the
  // request's expected_revision, else the If-Match header (0: any); ABORTED
  // when the record moved on. Get and every write answer with the record's
  // revision in the "etag" header (REST: ETag).
  // Patch takes the generated request: record, update_mask, revision.
  Reactor* Patch(Context* context, const google::protobuf::Message& request,
                 google::protobuf::Message* response);
  Reactor* Delete(Context* context, const std::string& pk,
                  int64_t expected_revision);

  template <typename Record>
  Reactor* BatchInsert(
      Context* context,
      const google::protobuf::RepeatedPtrField<Record>& records,
      google::protobuf::RepeatedPtrField<Record>* stored) {
    *stored = records;
    std::vector<google::protobuf::Message*> pointers;
    pointers.reserve(stored->size());
    for (Record& record : *stored) pointers.push_back(&record);
    return BatchInsertRecords(context, std::move(pointers));
  }

  // Filter and Paginate, raw methods of the generated service: `request`
  // is the serialized `Request` (a Filter or Paginate request of a table
  // whose records are `Record`s), the answer its <Record>Page. Without a
  // read_mask the page is built from the records' stored bytes with their
  // version fields appended (Table::FilterWire): none is serialized again,
  // nor parsed unless the residual needs it. With one, each record is
  // parsed, trimmed and serialized.
  // `method` is "Filter" or "Paginate".
  template <typename Request, typename Record>
  Reactor* FilterBytes(Context* context, const char* method,
                       const grpc::ByteBuffer& request,
                       grpc::ByteBuffer* response) {
    Request parsed;
    return FilterBytes(context, method, request, &parsed,
                       Record::default_instance(), response);
  }
  Reactor* FilterBytes(Context* context, const char* method,
                       const grpc::ByteBuffer& bytes,
                       google::protobuf::Message* request,
                       const google::protobuf::Message& record_type,
                       grpc::ByteBuffer* response);

  // Count, a raw method of the generated service: the number of records
  // matching the generated Count request's typed fields (found in its
  // bytes, as Filter's) and filter; the answer, a `Response`, has count and
  // plan.
  template <typename Request, typename Response>
  Reactor* CountBytes(Context* context, const grpc::ByteBuffer& request,
                      grpc::ByteBuffer* response) {
    Request parsed;
    Response answer;
    return CountBytes(context, request, &parsed, &answer, response);
  }
  Reactor* CountBytes(Context* context, const grpc::ByteBuffer& bytes,
                      google::protobuf::Message* request,
                      google::protobuf::Message* answer,
                      grpc::ByteBuffer* response);

  // Watch: the table's changes from the request's start_revision on,
  // matching its filter (server/table/watcher.h). Needs set_feed.
  template <typename Change>
  grpc::ServerWriteReactor<Change>* Watch(
      Context* context, const google::protobuf::Message& request) {
    absl::StatusOr<WatchCursor> cursor = absl::UnimplementedError(
        "Watch: this server was started without a change feed");
    absl::Status allowed = Admit(*context, access::Permission::kRead);
    if (!allowed.ok()) {
      cursor = allowed;
    } else if (feed_ != nullptr) {
      cursor = WatchCursor::Open(feed_->db(), *table_, request);
    }
    return new Watcher<Change>(feed_, &table_->schema(), std::move(cursor));
  }
  void set_feed(ChangeFeed* feed) { feed_ = feed; }
  // Get, Filter, Paginate and Count wait for what x-min-revision and
  // x-consistency ask and answer x-revision (server/table/
  // read_consistency.h); without it, they read at once.
  void set_read_consistency(const ReadConsistency* reads) { reads_ = reads; }
  // A replica's writes refused for NOT_LEADER go on to the leader, as calls
  // of `full_service` ("pkg.Service").
  void set_forwarder(LeaderForwarder* forwarder, std::string full_service) {
    forwarder_ = forwarder;
    full_service_ = std::move(full_service);
  }

  // Import: a client stream of the generated Import request, committed in
  // batches (server/table/import_stream.h); `response` is sent once all of
  // it is durable.
  template <typename Request, typename Response>
  grpc::ServerReadReactor<grpc::ByteBuffer>* Import(
      Context* context, grpc::ByteBuffer* response) {
    return new ImportReactor<Request, Response>(ImportSetupFor(context),
                                                context, response);
  }
  // Export: the records matching the serialized Export request (of type
  // Request), a chunk per message, from one read snapshot
  // (server/table/export_stream.h).
  template <typename Request>
  grpc::ServerWriteReactor<grpc::ByteBuffer>* Export(
      Context* context, const grpc::ByteBuffer& request) {
    return new ExportReactor<Request>(ExportSetupFor(*context), request);
  }

  storage::Table* table() const { return table_; }
  // --shard_key: writes carrying x-shard-key must hold it in `field`
  // (server/table/shard_key.h); nullptr = no check.
  void set_shard_key(const google::protobuf::FieldDescriptor* field) {
    shard_key_ = field;
  }
  // Every call is recorded in `metrics` as it finishes; nullptr = none.
  void set_metrics(Metrics* metrics) { metrics_ = metrics; }
  // --max_in_flight: a call past `limit` is refused at once; nullptr = none.
  void set_call_limit(const CallLimit* limit) { limit_ = limit; }

 private:
  using Clock = std::chrono::steady_clock;
  Reactor* BatchInsertRecords(Context* context,
                              std::vector<google::protobuf::Message*> records);
  struct ForwardAs;
  // A Filter's page as a serialized <Record>Page (`page`): its records as
  // FilterBytes says, then next_page_token and plan.
  absl::Status FilterPage(const storage::Query& query,
                          const google::protobuf::FieldMask& mask,
                          const google::protobuf::Message& record_type,
                          std::string* page, std::string* plan,
                          size_t* scanned) const;
  ImportSetup ImportSetupFor(Context* context);
  ExportSetup ExportSetupFor(const Context& context);
  // Whether a call may start (--max_in_flight, then access to this table):
  // OK, or why it is refused.
  absl::Status Admit(const Context& context,
                     access::Permission permission) const;
  // Records a finished call in the metrics and the debug log.
  void Record(const char* method, Clock::time_point start,
              const absl::Status& status, absl::string_view detail) const;
  // A read whose x-min-revision or x-consistency cannot be met (or is
  // malformed): finishes the call and returns true. A linearizable read on
  // a follower goes on to the leader as `forward` says, once, taking the
  // call's `counted` ticket (null: counted by the interceptor) until it ends.
  // `wants`: what the call's metadata asks (ReadConsistency::Wants).
  bool Unreadable(Context* context, Reactor* reactor, const char* method,
                  Clock::time_point start, const ForwardAs& forward,
                  CallLimit::Ticket* counted,
                  const ReadConsistency::Wants& wants) const;
  // Finishes the call with Admit's refusal (RESOURCE_EXHAUSTED,
  // UNAUTHENTICATED or PERMISSION_DENIED), if any (true then).
  bool Refused(const Context& context, access::Permission permission,
               Reactor* reactor, const char* method,
               Clock::time_point start) const;
  // The ticket a raw read counts itself with (CallLimit::Ticket): taken
  // before anything else, held until the call finishes.
  CallLimit::Ticket Counted() const {
    return limit_ != nullptr ? limit_->Enter() : CallLimit::Ticket();
  }
  // A raw read under way: its reactor, start, ticket and messages (the
  // request, and for Count the answer, else null), and what its metadata
  // asks of the read.
  struct RawCall {
    Reactor* reactor;
    Clock::time_point start;
    CallLimit::Ticket* counted;
    google::protobuf::Message* request;
    google::protobuf::Message* answer;
    ReadConsistency::Wants wants;
  };
  // Starts a raw read (Get, Filter, Paginate, Count): counts it, then
  // `read(call)` at once, or on a thread of its own when it must wait
  // (ReadConsistency::MustWait), with its own messages.
  template <typename Read>
  Reactor* RawRead(Context* context, google::protobuf::Message* request,
                   google::protobuf::Message* answer, Read read);
  // The raw reads, from their start on (RawRead calls them).
  void GetRead(Context* context, const RawCall& call,
               const grpc::ByteBuffer& bytes,
               const google::protobuf::Message& record_type,
               grpc::ByteBuffer* response) const;
  void FilterRead(Context* context, const char* method, const RawCall& call,
                  const grpc::ByteBuffer& bytes,
                  const google::protobuf::Message& record_type,
                  grpc::ByteBuffer* response) const;
  void CountRead(Context* context, const RawCall& call,
                 const grpc::ByteBuffer& bytes,
                 grpc::ByteBuffer* response) const;
  // A raw read's first steps: Refused, then `bytes` parsed into
  // `call.request` (`wire` left on them; one that does not parse is
  // ParseError's), then Unreadable (a forward resends the request, answers
  // bytes and takes `call.counted`). True when the call was finished there.
  bool RawReadEnded(Context* context, const RawCall& call, const char* method,
                    const grpc::ByteBuffer& bytes, ByteBufferView* wire,
                    grpc::ByteBuffer* response) const;
  // Finishes the call and logs it.
  void Finish(Reactor* reactor, const char* method, Clock::time_point start,
              const absl::Status& status, absl::string_view detail = "") const;
  // A raw write under way (Insert, Update): what it needs until it is
  // answered. The record written goes straight into gRPC's response (one
  // copy, from the writer's bytes into the slice).
  struct RawWriteCall final : storage::WriteAnswer {
    explicit RawWriteCall(grpc::ByteBuffer* response) : response(response) {}
    void Take(absl::string_view stored,
              absl::string_view version_fields) override;
    CallLimit::Ticket counted;
    std::unique_ptr<google::protobuf::Message> request;
    storage::RecordVersion version;
    grpc::ByteBuffer* response;
  };
  // A raw write's request: `bytes` parsed into `request`, its record (in
  // `record`) and, given `update`, the revision it expects (in it).
  absl::Status ReadRawWrite(const Context& context, const char* method,
                            const grpc::ByteBuffer& bytes,
                            google::protobuf::Message* request,
                            google::protobuf::Message** record,
                            storage::WriteOptions* update) const;
  // The record of a request to `verb` (insert, update): the request's field
  // of the record's type, in `record`, checked against the call's shard
  // key; INVALID_ARGUMENT naming the field if it was not sent or does not
  // match.
  absl::Status SentRecord(const Context& context,
                          google::protobuf::Message* request,
                          google::protobuf::Message** record,
                          const char* verb) const;
  // How a write (or a linearizable read) goes on to the leader when this
  // replica follows (LeaderForwarder): the request as the caller sent it,
  // serialized, and what takes the leader's serialized answer (false: it
  // did not parse).
  struct ForwardAs {
    std::function<std::string()> request;
    std::function<bool(const std::string&)> answer;
  };
  // A call sent as `request` whose answer is `response`.
  static ForwardAs Resend(const google::protobuf::Message& request,
                          google::protobuf::Message* response);
  // The same for a raw method, whose answer is bytes.
  static ForwardAs Resend(const google::protobuf::Message& request,
                          grpc::ByteBuffer* response);
  // Finishes (on the writer's thread) once the write is durable; with a
  // `version`, the etag header of the written version first, and its fields
  // set in `record` when not null. A write a follower refused goes on to
  // the leader as `forward` says.
  storage::Table::Done FinishWrite(
      Context* context, Reactor* reactor, const char* method,
      Clock::time_point start, std::shared_ptr<storage::RecordVersion> version,
      google::protobuf::Message* record, ForwardAs forward) const;
  // Sends a write this follower refused with `status` on to the leader and
  // finishes with its answer; false when it is not to be forwarded. The
  // call's `counted` ticket, if any, is held until the forward ends.
  bool Forwarded(Context* context, Reactor* reactor, const char* method,
                 Clock::time_point start, const absl::Status& status,
                 const ForwardAs& forward,
                 CallLimit::Ticket* counted = nullptr) const;

  storage::Table* table_;
  std::string service_;
  AnswerQueue* answers_;
  const access::Access* access_;
  const google::protobuf::FieldDescriptor* shard_key_ = nullptr;
  ChangeFeed* feed_ = nullptr;
  const ReadConsistency* reads_ = nullptr;
  LeaderForwarder* forwarder_ = nullptr;
  std::string full_service_;
  Metrics* metrics_ = nullptr;
  const CallLimit* limit_ = nullptr;
};

}  // namespace lmdbapi::server

#endif  // LMDBAPI_SERVER_TABLE_TABLE_SERVICE_H_
