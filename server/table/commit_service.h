// The implementation behind the generated Transactions service: reads a
// CommitRequest (its layout: model/commit_layout.h), hands storage one
// Commit (storage/commit.h) and answers once it is durable, from the writer's
// thread, like TableService's writes. Many concurrent commits share the
// writer's group commit.
#ifndef LMDBAPI_SERVER_TABLE_COMMIT_SERVICE_H_
#define LMDBAPI_SERVER_TABLE_COMMIT_SERVICE_H_

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/call_once.h"
#include "google/protobuf/message.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/server_callback.h"
#include "model/commit_fields.h"
#include "server/access/access.h"
#include "server/observability/metrics.h"
#include "server/replication/leader_forwarder.h"
#include "server/table/call_limit.h"
#include "storage/commit.h"
#include "storage/database.h"

namespace lmdbapi::server {

class CommitService {
 public:
  using Context = grpc::CallbackServerContext;
  using Reactor = grpc::ServerUnaryReactor;

  struct Options {
    size_t max_writes = 1000;  // --max_commit_writes
    // Per table, in schema order: the --shard_key field, or nullptr.
    std::vector<const google::protobuf::FieldDescriptor*> shard_keys;
  };

  // `tables`: the schema's tables in declaration order (the order the
  // CommitWrite and CommitResult field numbers count). A commit needs write
  // on each table it writes and read on each its preconditions look at
  // (`access`: nullptr or disabled, open).
  CommitService(storage::Database* db, std::vector<storage::Table*> tables,
                const access::Access* access, Options options);

  void set_metrics(Metrics* metrics) { metrics_ = metrics; }
  // --max_in_flight: a commit past `limit` is refused at once; nullptr = none.
  void set_call_limit(const CallLimit* limit) { limit_ = limit; }
  // A replica's commits refused for NOT_LEADER go on to the leader, as calls
  // of `full_service`'s Commit (server/replication/leader_forwarder.h).
  void set_forwarder(LeaderForwarder* forwarder, std::string full_service) {
    forwarder_ = forwarder;
    full_service_ = std::move(full_service);
  }

  // Commit, a raw method of the generated Transactions service: `request`
  // is the serialized `Request`. It is parsed here, onto an arena of its
  // own (ArenaRequest), counted against --max_in_flight until it is
  // answered (no gRPC interceptor), and the CommitResponse written into
  // `response` as bytes (AnswerBytes) once the commit is durable.
  template <typename Request>
  Reactor* CommitBytes(Context* context, const grpc::ByteBuffer& request,
                       grpc::ByteBuffer* response) {
    return Commit(context, request, Request::default_instance(), response);
  }
  Reactor* Commit(Context* context, const grpc::ByteBuffer& bytes,
                  const google::protobuf::Message& request_type,
                  grpc::ByteBuffer* response);

 private:
  using Clock = std::chrono::steady_clock;

  // The storage commit a request asks for; INVALID_ARGUMENT naming the
  // precondition, write or field otherwise. Reads through fields_.
  absl::StatusOr<std::shared_ptr<storage::Commit>> Read(
      const Context& context, const google::protobuf::Message& request) const;
  absl::StatusOr<storage::CommitCondition> ReadCondition(
      const model::CommitFields& f,
      const google::protobuf::Message& condition) const;
  absl::StatusOr<storage::CommitWrite> ReadWrite(
      const Context& context, const model::CommitFields& f,
      const google::protobuf::Message& write) const;
  // The record of `request`, a write's request of kind `op`, moved out of
  // it when no forward can need the request whole (no forwarder), else
  // copied; on the request's arena either way.
  storage::RecordPtr TakeRecord(const model::CommitFields::Op& op,
                                const google::protobuf::Message& request) const;
  // OK when the caller may make `commit`: UNAUTHENTICATED or
  // PERMISSION_DENIED (the first table it lacks) otherwise.
  absl::Status Permitted(const access::Identity& identity,
                         const storage::Commit& commit) const;
  // The checked storage commit of the call, whose `bytes` are parsed into
  // `request`; a refusal or a bad request.
  absl::StatusOr<std::shared_ptr<storage::Commit>> Admitted(
      const Context& context, const grpc::ByteBuffer& bytes,
      google::protobuf::Message* request) const;
  // The serialized CommitResponse of a committed commit, written as bytes:
  // each Insert's and Update's record is the bytes it was stored as
  // (CommitWrite::stored_value) with its version fields appended, never
  // parsed or serialized again.
  std::string AnswerBytes(const storage::Commit& commit) const;
  // Sends a commit this follower refused with `status` on to the leader
  // and finishes with its answer (its bytes, into `response`), `call` kept
  // until then; false when it is not to be forwarded.
  bool Forwarded(Context* context, Reactor* reactor, Clock::time_point start,
                 const absl::Status& status,
                 const google::protobuf::Message& request,
                 grpc::ByteBuffer* response,
                 std::shared_ptr<const void> call) const;
  void Finish(Reactor* reactor, Clock::time_point start,
              const absl::Status& status) const;

  storage::Database* db_;
  std::vector<storage::Table*> tables_;
  const access::Access* access_;
  Options options_;
  Metrics* metrics_ = nullptr;
  const CallLimit* limit_ = nullptr;
  LeaderForwarder* forwarder_ = nullptr;
  std::string full_service_;
  // The commit messages' fields, looked up by the first call (the request
  // type comes with each call).
  absl::once_flag fields_once_;
  std::unique_ptr<const model::CommitFields> fields_;
};

}  // namespace lmdbapi::server

#endif  // LMDBAPI_SERVER_TABLE_COMMIT_SERVICE_H_
