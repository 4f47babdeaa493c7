#include "server/router/shard_router.h"

#include <algorithm>
#include <atomic>
#include <optional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "grpcpp/client_context.h"
#include "grpcpp/security/credentials.h"
#include "model/request_access.h"
#include "model/request_layout.h"
#include "server/observability/log.h"
#include "server/process/peer_channel.h"
#include "server/router/fanout_page.h"
#include "server/router/page_wire.h"
#include "server/schema.h"
#include "server/table/filter_request.h"
#include "server/table/grpc_status.h"
#include "server/table/read_mask.h"
#include "server/table/shard_key.h"
#include "storage/page_token.h"
#include "storage/uuid.h"

namespace lmdbapi::server {
namespace {

using google::protobuf::Message;

// Shard calls wait at most this long when the caller set no deadline.
constexpr auto kDefaultDeadline = std::chrono::seconds(30);
constexpr storage::TokenSecret kFingerprintKey = {};

std::string ToString(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return out;
  for (const grpc::Slice& s : slices) {
    out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return out;
}

grpc::ByteBuffer ToBuffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

// A shard's answer to a list call, as the merge takes it.
absl::StatusOr<ShardPage> PageOf(const grpc::Status& status,
                                 const grpc::ByteBuffer& body) {
  if (!status.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                        status.error_message());
  }
  return ParseShardPage(ToString(body));
}

// Clears `request`'s position and hashes the rest with `method`: what a
// page token must have been made for.
uint64_t PositionFreeFingerprint(const std::string& method, Message* request) {
  model::ClearPosition(request);
  std::string query;
  request->SerializePartialToString(&query);
  return storage::SipHash24(kFingerprintKey, absl::StrCat(method, "\n", query));
}

bool IsRequestError(grpc::StatusCode code) {
  return code == grpc::StatusCode::INVALID_ARGUMENT ||
         code == grpc::StatusCode::NOT_FOUND ||
         code == grpc::StatusCode::UNAUTHENTICATED ||
         code == grpc::StatusCode::PERMISSION_DENIED;
}

}  // namespace

// The shard calls of one fan-out round: alive until the last one finishes.
struct ShardRouter::Round {
  explicit Round(size_t n) : replies(n), pending(n) {}
  std::vector<Reply> replies;
  std::atomic<size_t> pending;
  Replies done;
};

ShardRouter::ShardRouter(const Schema& schema,
                         const std::vector<storage::TableSchema>& tables,
                         Options options)
    : options_(std::move(options)),
      queues_([this](const grpc::GenericServerContext& context,
                     const grpc::ByteBuffer& request, Answer answer) {
        Handle(context, request, std::move(answer));
      }) {
  for (const ServiceBinding& binding : schema.services) {
    const auto* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
            binding.full_name);
    auto table = std::find_if(tables.begin(), tables.end(),
                              [&](const storage::TableSchema& t) {
                                return t.name == binding.collection;
                              });
    if (service == nullptr || table == tables.end()) continue;
    routes_[binding.full_name] =
        Route{service, &*table, storage::WireRecord::Compile(*table),
              std::make_shared<storage::PlanCache>(),
              options_.shard_map == nullptr
                  ? nullptr
                  : ShardKeyField(table->descriptor, options_.shard_key)};
  }
  // Commits are writes: they go to the shard their x-shard-key names (nginx
  // routes them there; the shard refuses a write of another key), so here
  // they are refused like every write without that header.
  if (const auto* service =
          google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
              schema.transactions.full_name);
      service != nullptr) {
    routes_[schema.transactions.full_name] =
        Route{service, nullptr, nullptr, nullptr};
  }
  for (const std::string& shard : options_.shards) {
    stubs_.push_back(std::make_unique<grpc::GenericStub>(
        PeerChannel(shard, options_.credentials, options_.max_message_bytes)));
  }
}

void ShardRouter::Register(grpc::ServerBuilder& builder) {
  queues_.Register(builder, options_.threads != 0
                                ? options_.threads
                                : std::thread::hardware_concurrency());
}

void ShardRouter::Handle(const grpc::GenericServerContext& context,
                         const grpc::ByteBuffer& request, Answer done) {
  const std::string& path = context.method();  // "/pkg.Service/Method"
  Answer answer = std::move(done);
  if (LogEnabled(LogLevel::kDebug)) {  // each call's route and time
    answer = Answer::Fn([path, start = std::chrono::steady_clock::now(),
                         done = std::move(answer)](grpc::Status status,
                                                   grpc::ByteBuffer response,
                                                   std::string revision) {
      Log(LogLevel::kDebug, "route %s %s %dus", path,
          status.ok() ? "OK" : status.error_message(),
          std::chrono::duration_cast<std::chrono::microseconds>(
              std::chrono::steady_clock::now() - start)
              .count());
      done(std::move(status), std::move(response), std::move(revision));
    });
  }
  size_t slash = path.rfind('/');
  std::string service =
      slash == std::string::npos || slash == 0 ? "" : path.substr(1, slash - 1);
  std::string name = path.substr(slash + 1);
  auto route = routes_.find(service);
  const google::protobuf::MethodDescriptor* method =
      route == routes_.end() ? nullptr
                             : route->second.service->FindMethodByName(name);
  if (method == nullptr) {
    return answer(grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                               absl::StrCat("unknown method ", path)),
                  {});
  }
  if (route->second.table == nullptr) {  // Transactions
    return answer(
        grpc::Status(
            grpc::StatusCode::INVALID_ARGUMENT,
            absl::StrCat("x-shard-key: required for ", service, "/", name,
                         ": a commit goes to the shard of its key (one key "
                         "per commit); this router answers only reads")),
        {});
  }
  if (name == "Get") return Get(context, *method, request, std::move(answer));
  if (name == "Count") {
    return Count(context, route->second, *method, request, std::move(answer));
  }
  if (name == "Filter" || name == "Paginate") {
    return List(context, route->second, *method, request, std::move(answer));
  }
  if (method->server_streaming()) {
    return answer(
        grpc::Status(
            grpc::StatusCode::UNIMPLEMENTED,
            absl::StrCat(service, "/", name,
                         " is not merged across shards: watch each shard "
                         "(send x-shard-key); revisions are per shard")),
        {});
  }
  answer(grpc::Status(
             grpc::StatusCode::INVALID_ARGUMENT,
             absl::StrCat("x-shard-key: required for ", service, "/", name,
                          ": a write goes to the shard of its key; this "
                          "router answers only reads that name no shard")),
         {});
}

void ShardRouter::CallShards(
    const grpc::GenericServerContext& from, const std::string& method,
    const std::vector<std::pair<size_t, grpc::ByteBuffer>>& requests,
    Replies done, Reach reach) {
  auto round = std::make_shared<Round>(requests.size());
  round->done = std::move(done);
  auto deadline = std::min(from.deadline(),
                           std::chrono::system_clock::now() + kDefaultDeadline);
  // The caller's credential, and a linearizable read's x-consistency (each
  // shard's replica sends it on to its leader). x-min-revision is one
  // shard's revision: it goes to the one shard a read is routed to, and
  // means nothing across shards.
  std::vector<std::pair<std::string, std::string>> metadata;
  std::vector<const char*> keys = {"authorization", "x-consistency"};
  if (reach == Reach::kOneShard) keys.push_back("x-min-revision");
  for (const char* key : keys) {
    auto found = from.client_metadata().find(key);
    if (found == from.client_metadata().end()) continue;
    metadata.emplace_back(
        key, std::string(found->second.data(), found->second.size()));
  }
  for (size_t j = 0; j < requests.size(); ++j) {
    const std::string& shard = options_.shards[requests[j].first];
    auto finished = [round, j, &shard](grpc::Status s, grpc::ByteBuffer body,
                                       std::string revision) {
      if (!s.ok() && !IsRequestError(s.error_code())) {
        // The shard's details (e.g. ErrorInfo MAP_FULL) go on with it.
        s = grpc::Status(s.error_code(),
                         absl::StrCat("shard ", shard, ": ", s.error_message()),
                         s.error_details());
      }
      round->replies[j] = {std::move(s), std::move(body), std::move(revision)};
      if (round->pending.fetch_sub(1) == 1) {
        round->done(std::move(round->replies));
      }
    };
    queues_.UnaryCall(*stubs_[requests[j].first], method, deadline, metadata,
                      requests[j].second, std::move(finished));
  }
}

namespace {

// A Get's answer from its shards' replies: the record, or the error that
// says most (any error but NOT_FOUND: that shard may have it).
void AnswerGet(std::vector<ShardRouter::Reply> replies,
               const ShardRouter::Answer& answer) {
  ShardRouter::Reply* failed = nullptr;
  for (ShardRouter::Reply& reply : replies) {
    if (reply.status.ok()) {
      return answer(grpc::Status::OK, reply.body, reply.revision);
    }
    if (failed == nullptr ||
        failed->status.error_code() == grpc::StatusCode::NOT_FOUND) {
      failed = &reply;
    }
  }
  answer(failed->status, {});
}

}  // namespace

void ShardRouter::Get(const grpc::GenericServerContext& context,
                      const google::protobuf::MethodDescriptor& method,
                      const grpc::ByteBuffer& request, Answer answer) {
  // A key a tagged shard made names that shard in its last byte: ask it
  // alone first. When it does not answer with the record (a tag may be only
  // random, or that shard down), every other shard is asked.
  std::unique_ptr<Message> parsed = NewCompiledMessage(method.input_type());
  std::optional<uint8_t> tag;
  if (parsed->ParseFromString(ToString(request))) {
    tag = storage::UuidTag(model::Key(*parsed));
  }
  const bool tagged = tag.has_value() && *tag < stubs_.size();
  std::vector<std::pair<size_t, grpc::ByteBuffer>> first, rest;
  for (size_t i = 0; i < stubs_.size(); ++i) {
    (!tagged || i == *tag ? first : rest).emplace_back(i, request);
  }
  // The tagged shard alone gets x-min-revision (a revision of its writes).
  CallShards(
      context, context.method(), first,
      [this, &context, rest = std::move(rest),
       answer = std::move(answer)](std::vector<Reply> replies) mutable {
        if (rest.empty() || replies[0].status.ok()) {
          return AnswerGet(std::move(replies), answer);
        }
        CallShards(
            context, context.method(), rest,
            [first = std::move(replies[0]),
             answer = std::move(answer)](std::vector<Reply> more) {
              more.push_back(first);
              AnswerGet(std::move(more), answer);
            },
            Reach::kAcrossShards);
      },
      tagged ? Reach::kOneShard : Reach::kAcrossShards);
}

std::vector<size_t> ShardRouter::ShardsOfQuery(
    const Route& route, const storage::Query& query) const {
  if (route.shard_field == nullptr) return {};
  std::optional<std::vector<std::string>> keys =
      FixedValuesOf(*route.table, query, route.shard_field);
  if (!keys.has_value()) return {};
  std::vector<size_t> shards;
  for (const std::string& key : *keys) {
    std::optional<size_t> shard = options_.shard_map->ShardOf(key);
    if (!shard.has_value()) return {};  // a key of no shard: ask them all
    shards.push_back(*shard);
  }
  std::sort(shards.begin(), shards.end());
  shards.erase(std::unique(shards.begin(), shards.end()), shards.end());
  return shards.size() < stubs_.size() ? shards : std::vector<size_t>();
}

std::string ShardRouter::FanOutOver(const std::vector<size_t>& shards) const {
  return shards.empty()
             ? absl::StrCat("fan-out over ", stubs_.size(), " shards: ")
             : absl::StrCat("fan-out over ", shards.size(), " of ",
                            stubs_.size(), " shards (", options_.shard_key,
                            "): ");
}

void ShardRouter::Forward(const grpc::GenericServerContext& context,
                          size_t shard, const grpc::ByteBuffer& request,
                          Answer answer) {
  CallShards(
      context, context.method(), {{shard, request}},
      [answer = std::move(answer)](std::vector<Reply> replies) {
        answer(std::move(replies[0].status), std::move(replies[0].body),
               std::move(replies[0].revision));
      },
      Reach::kOneShard);
}

void ShardRouter::Count(const grpc::GenericServerContext& context,
                        const Route& route,
                        const google::protobuf::MethodDescriptor& method,
                        const grpc::ByteBuffer& request, Answer answer) {
  std::vector<size_t> shards;  // those the query can be on; empty: all
  if (route.shard_field != nullptr) {
    std::unique_ptr<Message> parsed = NewCompiledMessage(method.input_type());
    const std::string wire = ToString(request);
    // A request that does not read fans out: every shard says what is wrong.
    if (parsed->ParseFromString(wire)) {
      absl::StatusOr<storage::Query> query =
          QueryFromRequest(*parsed, wire, route.table->descriptor);
      if (query.ok()) shards = ShardsOfQuery(route, *query);
      if (shards.size() == 1) {
        return Forward(context, shards[0], request, std::move(answer));
      }
    }
  }
  std::vector<std::pair<size_t, grpc::ByteBuffer>> requests;
  for (size_t i = 0; i < stubs_.size(); ++i) {
    if (shards.empty() || std::count(shards.begin(), shards.end(), i) > 0) {
      requests.emplace_back(i, request);
    }
  }
  CallShards(
      context, context.method(), requests,
      [over = FanOutOver(shards), output = method.output_type(),
       answer = std::move(answer)](std::vector<Reply> replies) {
        int64_t total = 0;
        std::string plan;
        for (const Reply& reply : replies) {
          if (!reply.status.ok()) return answer(reply.status, {});
          std::unique_ptr<Message> count = NewCompiledMessage(output);
          if (!count->ParseFromString(ToString(reply.body))) {
            return answer(grpc::Status(grpc::StatusCode::INTERNAL,
                                       "a shard's count did not parse"),
                          {});
          }
          total += model::Count(*count);
          if (plan.empty()) plan = model::CountPlan(*count);
        }
        std::unique_ptr<Message> out = NewCompiledMessage(output);
        model::SetCount(out.get(), total, absl::StrCat(over, plan));
        answer(grpc::Status::OK, ToBuffer(out->SerializeAsString()));
      },
      Reach::kAcrossShards);
}

void ShardRouter::List(const grpc::GenericServerContext& context,
                       const Route& route,
                       const google::protobuf::MethodDescriptor& method,
                       const grpc::ByteBuffer& bytes, Answer answer) {
  const storage::TableSchema& table = *route.table;
  // What the merge needs until its last page has come.
  struct Listing {
    std::unique_ptr<Message> request;
    RecordOrder order;
    google::protobuf::FieldMask mask;
  };
  auto listing = std::make_shared<Listing>();
  listing->request = NewCompiledMessage(method.input_type());
  Message* request = listing->request.get();
  const std::string wire = ToString(bytes);
  if (!request->ParseFromString(wire)) {
    return answer(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                               "the request is not a valid " +
                                   method.input_type()->full_name()),
                  {});
  }
  absl::StatusOr<storage::Query> query =
      QueryFromRequest(*request, wire, table.descriptor);
  if (!query.ok()) return answer(ToGrpcStatus(query.status()), {});
  std::vector<size_t> shards = ShardsOfQuery(route, *query);  // empty: all
  if (shards.size() == 1) return Forward(context, shards[0], bytes, answer);
  absl::StatusOr<RecordOrder> order =
      RecordOrder::For(table, route.records.get(), route.plans.get(), *query);
  if (!order.ok()) return answer(ToGrpcStatus(order.status()), {});
  listing->order = *std::move(order);
  // Shards send whole records (the merge orders them); trimmed once merged.
  absl::StatusOr<google::protobuf::FieldMask> mask =
      ReadMask(table.descriptor, model::ReadMaskPaths(*request));
  if (!mask.ok()) return answer(ToGrpcStatus(mask.status()), {});
  listing->mask = *std::move(mask);
  model::ClearReadMask(request);
  int32_t asked = model::PageSize(*request);
  size_t page_size =
      storage::PageSizeFor(static_cast<size_t>(asked),
                           options_.default_page_size, options_.max_page_size);
  std::string token = model::PageToken(*request);
  uint64_t fingerprint = PositionFreeFingerprint(context.method(), request);
  model::SetPageSize(request, static_cast<int32_t>(page_size));

  FetchPagesAsync fetch =
      [this, &context, listing](
          const std::vector<std::pair<size_t, std::string>>& positions,
          const PagesDone& done) {
        std::vector<std::pair<size_t, grpc::ByteBuffer>> calls;
        for (const auto& [shard, shard_token] : positions) {
          model::SetPageToken(listing->request.get(), shard_token);
          calls.emplace_back(shard,
                             ToBuffer(listing->request->SerializeAsString()));
        }
        CallShards(
            context, context.method(), calls,
            [done](std::vector<Reply> replies) {
              std::vector<absl::StatusOr<ShardPage>> pages;
              for (Reply& reply : replies) {
                pages.push_back(PageOf(reply.status, reply.body));
              }
              done(std::move(pages));
            },
            Reach::kAcrossShards);
      };
  MergeShardPagesAsync(
      fingerprint, stubs_.size(), shards, token, page_size, listing->order,
      std::move(fetch),
      [listing, over = FanOutOver(shards),
       answer = std::move(answer)](absl::StatusOr<MergedPage> merged) {
        if (!merged.ok()) return answer(ToGrpcStatus(merged.status()), {});
        absl::StatusOr<std::string> page =
            SerializePage(listing->order, listing->mask, *merged,
                          absl::StrCat(over, listing->order.description()));
        if (!page.ok()) return answer(ToGrpcStatus(page.status()), {});
        answer(grpc::Status::OK, ToBuffer(*page));
      });
}

}  // namespace lmdbapi::server
