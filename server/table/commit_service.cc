#include "server/table/commit_service.h"

#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "model/commit_fields.h"
#include "model/commit_layout.h"
#include "server/observability/log.h"
#include "server/table/arena_request.h"
#include "server/table/byte_buffer_view.h"
#include "server/table/grpc_status.h"
#include "server/table/parse_errors.h"
#include "server/table/shard_key.h"
#include "server/table/write_conditions.h"
#include "storage/coding.h"
#include "storage/record_version.h"
#include "storage/status.h"

namespace lmdbapi::server {
namespace {

namespace L = ::lmdbapi::commit_layout;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using storage::At;

// The revision a write expects: 0 (any) or a positive one, else
// INVALID_ARGUMENT naming the write and the field.
absl::StatusOr<uint64_t> ExpectedRevision(const model::CommitFields::Op& op,
                                          const Message& q,
                                          const FieldDescriptor* which) {
  absl::StatusOr<uint64_t> expected = RevisionField(
      op.reflection->GetInt64(q, op.expected), op.expected->name());
  if (!expected.ok()) return At(which->name(), expected.status());
  return expected;
}

}  // namespace

CommitService::CommitService(storage::Database* db,
                             std::vector<storage::Table*> tables,
                             const access::Access* access, Options options)
    : db_(db),
      tables_(std::move(tables)),
      access_(access),
      options_(std::move(options)) {
  options_.shard_keys.resize(tables_.size(), nullptr);
}

absl::StatusOr<storage::CommitCondition> CommitService::ReadCondition(
    const model::CommitFields& f, const Message& condition) const {
  storage::CommitCondition out;
  std::string collection = f.condition->GetString(condition, f.collection);
  for (storage::Table* table : tables_) {
    if (table->name() == collection) out.table = table;
  }
  if (out.table == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("collection: no table '", collection, "'"));
  }
  out.key = f.condition->GetString(condition, f.condition_key);
  const FieldDescriptor* check =
      f.condition->GetOneofFieldDescriptor(condition, f.check);
  if (check == nullptr) {
    return absl::InvalidArgumentError(
        "check: one of exists, absent or revision is required");
  }
  switch (check->number()) {
    case L::kConditionExists:
      out.kind = storage::CommitCondition::Kind::kExists;
      break;
    case L::kConditionAbsent:
      out.kind = storage::CommitCondition::Kind::kAbsent;
      break;
    default: {
      out.kind = storage::CommitCondition::Kind::kRevision;
      LMDBAPI_ASSIGN_OR_RETURN(
          out.revision, RevisionField(f.condition->GetInt64(condition, check),
                                      check->name()));
    }
  }
  return out;
}

storage::RecordPtr CommitService::TakeRecord(const model::CommitFields::Op& op,
                                             const Message& request) const {
  if (forwarder_ != nullptr) {
    // A copy on the request's arena (when it has one): no allocation of its
    // own, gone with the call. The request stays whole for a forward.
    const Message& sent = op.reflection->GetMessage(request, op.record);
    storage::RecordPtr copy = storage::NewRecord(sent, request.GetArena());
    copy->CopyFrom(sent);
    return copy;
  }
  // Nothing can need the request whole again (no forward without a
  // leader to forward to): the record moves out of it, still on its arena.
  // The request is the call's own (ArenaRequest), const by signature
  // only.
  Message& owned = const_cast<Message&>(request);
  return storage::RecordPtr(
      op.reflection->UnsafeArenaReleaseMessage(&owned, op.record),
      storage::RecordDeleter(owned.GetArena() == nullptr));
}

absl::StatusOr<storage::CommitWrite> CommitService::ReadWrite(
    const Context& context, const model::CommitFields& f,
    const Message& write) const {
  const FieldDescriptor* which = f.write->GetOneofFieldDescriptor(write, f.op);
  if (which == nullptr) {
    return absl::InvalidArgumentError(
        "write: required: an insert_, update_, patch_ or delete_ of a table");
  }
  const model::CommitFields::Op& op = f.OpOf(which);
  storage::CommitWrite out;
  out.table = tables_[op.table];
  const Message& q = f.write->GetMessage(write, which);
  if (op.op == L::kDelete) {
    out.kind = storage::CommitWrite::Kind::kDelete;
    out.key = op.reflection->GetString(q, op.key);
    LMDBAPI_ASSIGN_OR_RETURN(out.expected_revision,
                             ExpectedRevision(op, q, which));
    return out;
  }
  if (!op.reflection->HasField(q, op.record)) {
    return absl::InvalidArgumentError(absl::StrCat(
        which->name(), ".", op.record->name(), ": required: the record"));
  }
  out.record = TakeRecord(op, q);
  const FieldDescriptor* shard_key = options_.shard_keys[op.table];
  absl::Status s = absl::OkStatus();
  if (op.op == L::kInsert) {
    out.kind = storage::CommitWrite::Kind::kInsert;
    s = CheckShardKey(context, shard_key, *out.record);
  } else if (op.op == L::kUpdate) {
    out.kind = storage::CommitWrite::Kind::kUpdate;
    s = CheckShardKey(context, shard_key, *out.record);
  } else {
    out.kind = storage::CommitWrite::Kind::kPatch;
    absl::StatusOr<std::vector<std::string>> paths =
        PatchPaths(q, *out.record, out.table->schema());
    if (!paths.ok()) return At(which->name(), paths.status());
    out.paths = *std::move(paths);
    if (shard_key != nullptr &&
        std::count(out.paths.begin(), out.paths.end(), shard_key->name())) {
      s = CheckShardKey(context, shard_key, *out.record);
    }
  }
  if (!s.ok()) return At(which->name(), s);
  if (op.expected != nullptr) {
    LMDBAPI_ASSIGN_OR_RETURN(out.expected_revision,
                             ExpectedRevision(op, q, which));
  }
  return out;
}

absl::StatusOr<std::shared_ptr<storage::Commit>> CommitService::Read(
    const Context& context, const Message& request) const {
  const model::CommitFields& f = *fields_;
  const int n = f.request->FieldSize(request, f.writes);
  const int conditions = f.request->FieldSize(request, f.preconditions);
  if (n == 0 && conditions == 0) {
    return absl::InvalidArgumentError("writes: the commit is empty");
  }
  if (static_cast<size_t>(n) > options_.max_writes) {
    return absl::InvalidArgumentError(
        absl::StrCat("writes: ", n, " writes; the limit is ",
                     options_.max_writes, " (--max_commit_writes)"));
  }
  auto commit = std::make_shared<storage::Commit>();
  for (int i = 0; i < conditions; ++i) {
    absl::StatusOr<storage::CommitCondition> c = ReadCondition(
        f, f.request->GetRepeatedMessage(request, f.preconditions, i));
    if (!c.ok()) return At(absl::StrCat("preconditions[", i, "]"), c.status());
    commit->conditions.push_back(*std::move(c));
  }
  commit->writes.reserve(n);
  for (int i = 0; i < n; ++i) {
    const Message& write = f.request->GetRepeatedMessage(request, f.writes, i);
    absl::StatusOr<storage::CommitWrite> w = ReadWrite(context, f, write);
    if (!w.ok()) return At(absl::StrCat("writes[", i, "]"), w.status());
    const int refs = f.write->FieldSize(write, f.key_refs);
    for (int k = 0; k < refs; ++k) {
      const Message& ref = f.write->GetRepeatedMessage(write, f.key_refs, k);
      int from = f.ref->GetInt32(ref, f.ref_write);
      if (from < 0 || from >= i) {
        return absl::InvalidArgumentError(
            absl::StrCat("writes[", i, "]: key_refs: write ", from,
                         " is not an earlier write of this commit"));
      }
      w->key_refs.push_back(
          {f.ref->GetString(ref, f.ref_field), static_cast<size_t>(from)});
    }
    commit->writes.push_back(*std::move(w));
  }
  return commit;
}

std::string CommitService::AnswerBytes(const storage::Commit& commit) const {
  std::string answer, result, patched;
  if (commit.revision != 0) {
    storage::PutWireVarint(L::kRevision, commit.revision, &answer);
  }
  for (const storage::CommitWrite& w : commit.writes) {
    result.clear();
    storage::PutWireBytes(L::kResultCollection, w.table->name(), &result);
    if (!w.key.empty()) storage::PutWireBytes(L::kResultKey, w.key, &result);
    if (w.kind != storage::CommitWrite::Kind::kDelete) {
      size_t table =
          std::find(tables_.begin(), tables_.end(), w.table) - tables_.begin();
      absl::string_view stored = w.stored_value;
      if (w.kind == storage::CommitWrite::Kind::kPatch) {
        patched = w.stored->SerializeAsString();
        stored = patched;
      }
      // The record as stored, then its version fields: the bytes parse as
      // the record with SetVersionFields applied, as a Get answers it.
      char fields[storage::kMaxVersionFieldBytes];
      size_t n =
          storage::EncodeVersionFields(w.table->schema(), w.version, fields);
      storage::PutWireBytesHeader(L::kFirstRecord + static_cast<int>(table),
                                  stored.size() + n, &result);
      result.append(stored.data(), stored.size());
      result.append(fields, n);
    }
    storage::PutWireBytes(L::kResults, result, &answer);
  }
  return answer;
}

absl::Status CommitService::Permitted(const access::Identity& identity,
                                      const storage::Commit& commit) const {
  for (const storage::CommitWrite& w : commit.writes) {
    LMDBAPI_RETURN_IF_ERROR(
        access_->Permit(identity, w.table->name(), access::Permission::kWrite));
  }
  for (const storage::CommitCondition& c : commit.conditions) {
    LMDBAPI_RETURN_IF_ERROR(
        access_->Permit(identity, c.table->name(), access::Permission::kRead));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<storage::Commit>> CommitService::Admitted(
    const Context& context, const grpc::ByteBuffer& bytes,
    Message* request) const {
  if (limit_ != nullptr) LMDBAPI_RETURN_IF_ERROR(limit_->Admit());
  std::optional<access::Identity> identity;
  if (access_ != nullptr && access_->enabled()) {
    // Who first: a stranger learns nothing of the request's validity.
    LMDBAPI_ASSIGN_OR_RETURN(identity, access_->Authenticate(context));
  }
  LMDBAPI_RETURN_IF_ERROR(
      ParseRequest(bytes, {full_service_, "Commit"}, request));
  LMDBAPI_ASSIGN_OR_RETURN(std::shared_ptr<storage::Commit> commit,
                           Read(context, *request));
  if (identity.has_value()) {
    LMDBAPI_RETURN_IF_ERROR(Permitted(*identity, *commit));
  }
  return commit;
}

void CommitService::Finish(Reactor* reactor, Clock::time_point start,
                           const absl::Status& status) const {
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                    Clock::now() - start)
                    .count();
  if (metrics_ != nullptr) {
    metrics_->Record(L::kService, "Commit", status.code(), micros);
  }
  reactor->Finish(ToGrpcStatus(status));
  Log(LogLevel::kDebug, "%s.Commit %s %dus", L::kService,
      absl::StatusCodeToString(status.code()), micros);
}

bool CommitService::Forwarded(Context* context, Reactor* reactor,
                              Clock::time_point start,
                              const absl::Status& status,
                              const Message& request,
                              grpc::ByteBuffer* response,
                              std::shared_ptr<const void> call) const {
  std::string leader =
      forwarder_ == nullptr ? "" : LeaderForwarder::LeaderFor(status, *context);
  if (leader.empty()) return false;
  forwarder_->Forward(
      context, leader, absl::StrCat("/", full_service_, "/Commit"),
      request.SerializeAsString(),
      [this, reactor, start, response, call = std::move(call)](
          grpc::Status s, std::string answer) {
        if (s.ok()) *response = ByteBufferOf(answer);
        if (metrics_ != nullptr) {
          metrics_->Record(
              L::kService, "Commit",
              static_cast<absl::StatusCode>(s.error_code()),
              std::chrono::duration_cast<std::chrono::microseconds>(
                  Clock::now() - start)
                  .count());
        }
        reactor->Finish(s);
      });
  return true;
}

CommitService::Reactor* CommitService::Commit(Context* context,
                                              const grpc::ByteBuffer& bytes,
                                              const Message& request_type,
                                              grpc::ByteBuffer* response) {
  // What the commit needs until it is answered: its count and request.
  struct Call {
    explicit Call(const Message& type) : request(type) {}
    CallLimit::Ticket counted;
    ArenaRequest request;
  };
  absl::call_once(fields_once_, [&] {
    fields_ = std::make_unique<const model::CommitFields>(
        model::CommitFields::Of(request_type));
  });
  auto call = std::make_shared<Call>(request_type);
  if (limit_ != nullptr) call->counted = limit_->Enter();
  auto start = Clock::now();
  Reactor* reactor = context->DefaultReactor();
  absl::StatusOr<std::shared_ptr<storage::Commit>> commit =
      Admitted(*context, bytes, call->request.get());
  if (!commit.ok()) {
    Finish(reactor, start, commit.status());
    return reactor;
  }
  (*commit)->deadline = context->deadline();
  // Answered on the thread that runs `done` (the writer's, once durable),
  // as TableService's writes are.
  db_->Commit(*commit, [this, context, reactor, start, response, call,
                        commit = *commit](const absl::Status& status) {
    if (!status.ok() && Forwarded(context, reactor, start, status,
                                  *call->request.get(), response, call)) {
      return;
    }
    if (status.ok()) {
      context->AddInitialMetadata("etag", Etag(commit->revision));
      *response = ByteBufferOf(AnswerBytes(*commit));
    }
    Finish(reactor, start, status);
  });
  return reactor;
}

}  // namespace lmdbapi::server
