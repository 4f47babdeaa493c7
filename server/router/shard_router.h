// The fan-out router (`<schema>-server --shards=A,B,C`): serves the schema's
// table services with no data of its own, for the requests that name no
// shard (deploy/README.md). nginx sends a request with `x-shard-key` straight
// to its shard and every other request here.
//
//   Get            asked of the shard the key's tag names (storage/uuid.h:
//                  shards started with --shard_tag stamp the keys they
//                  make), then, if that one has no such record or the key
//                  has no tag, of every other shard at once; the one that
//                  has the record answers (primary keys are UUIDs: at most
//                  one has it)
//   Filter,        asked of every shard (without read_mask: the merge needs
//   Paginate       whole records); their ordered pages are merged into one
//                  ordered page with a token that resumes every shard, then
//                  trimmed to the read_mask
//   Count          asked of every shard; the counts are summed
//   Filter, Count  with --shard_map and --shard_key: when the query names
//                  the shard key's values (`county = "NY"` or `county =
//                  (NY OR NJ)`, typed or at the top of the filter's AND)
//                  and the map names their shards, asked of those alone;
//                  of one shard, answered as that shard answers
//   writes         INVALID_ARGUMENT: a write goes to the shard of its key
//   (and Import)
//   Watch,         UNIMPLEMENTED: each shard has its own revisions (export
//   Export         each shard, sending x-shard-key)
//
// The caller's `authorization` and `x-consistency` metadata and deadline go
// with every shard call; each shard answers as it would directly (auth
// included). A read routed to one shard (a Get's tagged shard, a listing
// the shard map sends to one) also takes `x-min-revision` there and answers
// with that shard's `x-revision`; a merged answer has none.
#ifndef LMDBAPI_SERVER_ROUTER_SHARD_ROUTER_H_
#define LMDBAPI_SERVER_ROUTER_SHARD_ROUTER_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "grpcpp/channel.h"
#include "grpcpp/generic/async_generic_service.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/server_builder.h"
#include "model/request_layout.h"
#include "server/router/router_queues.h"
#include "server/router/shard_map.h"
#include "server/schema.h"
#include "storage/plan_cache.h"
#include "storage/schema.h"
#include "storage/wire_record.h"

namespace lmdbapi::server {

class ShardRouter final {
 public:
  struct Options {
    std::vector<std::string> shards;  // HOST:PORT of each shard's server
    size_t default_page_size = model::layout::kDefaultPageSize;
    size_t max_page_size = model::layout::kMaxPageSize;
    size_t max_message_bytes = 4 << 20;
    // Of the calls to the shards (PeerCredentials); nullptr: plaintext.
    std::shared_ptr<grpc::ChannelCredentials> credentials;
    // Threads serving calls, each polling its own queue (RouterQueues);
    // 0: one per core.
    size_t threads = 0;
    // --shard_map and --shard_key: a listing that fixes the key's field is
    // asked of its shard alone; nullptr: every listing fans out.
    std::shared_ptr<const ShardMap> shard_map;
    std::string shard_key;
  };
  // `tables` must outlive the router.
  ShardRouter(const Schema& schema,
              const std::vector<storage::TableSchema>& tables, Options options);

  // Before the server is built: the router takes every call no other
  // service of `builder` has.
  void Register(grpc::ServerBuilder& builder);
  // Once the server has started: serves.
  void Start() { queues_.Start(); }
  // Once the server has shut down: ends the calls still waiting on shards
  // and the router's threads.
  void Stop() { queues_.Stop(); }

  struct Reply {
    grpc::Status status;
    grpc::ByteBuffer body;
    std::string revision;  // the shard's x-revision header, if any
  };
  // Gets a call's status and, when OK, its response.
  using Answer = RouterQueues::Answer;

  // Answers one call (`context.method()` is "/package.Service/Method"),
  // from the thread where its last shard call finished: no thread waits.
  void Handle(const grpc::GenericServerContext& context,
              const grpc::ByteBuffer& request, Answer done);

 private:
  struct Route {
    const google::protobuf::ServiceDescriptor* service;
    const storage::TableSchema* table;
    // Reads a shard record's order key off its bytes (RecordOrder).
    std::shared_ptr<const storage::WireRecord> records;
    // The plans of the listings asked recently (RecordOrder).
    std::shared_ptr<storage::PlanCache> plans;
    // The table's --shard_key field when a shard map is given, else nullptr.
    const google::protobuf::FieldDescriptor* shard_field = nullptr;
  };
  using Replies = std::function<void(std::vector<Reply>)>;
  struct Round;

  // Whether a shard call is the one shard a read is routed to, which then
  // gets the caller's x-min-revision, or one of several.
  enum class Reach { kOneShard, kAcrossShards };
  // Calls `method` on shards at once, one (shard, request) pair each;
  // `done` gets the replies in the same order once all have finished.
  void CallShards(
      const grpc::GenericServerContext& from, const std::string& method,
      const std::vector<std::pair<size_t, grpc::ByteBuffer>>& requests,
      Replies done, Reach reach);
  void Get(const grpc::GenericServerContext& context,
           const google::protobuf::MethodDescriptor& method,
           const grpc::ByteBuffer& request, Answer answer);
  void Count(const grpc::GenericServerContext& context, const Route& route,
             const google::protobuf::MethodDescriptor& method,
             const grpc::ByteBuffer& request, Answer answer);
  // The shards (positions, ascending) that can hold a listing's records by
  // the shard map; empty: every shard.
  std::vector<size_t> ShardsOfQuery(const Route& route,
                                    const storage::Query& query) const;
  // A fan-out answer's plan prefix: "fan-out over 3 shards: ", or over
  // `shards` of them.
  std::string FanOutOver(const std::vector<size_t>& shards) const;
  // Asks `shard` alone and answers as it does.
  void Forward(const grpc::GenericServerContext& context, size_t shard,
               const grpc::ByteBuffer& request, Answer answer);
  void List(const grpc::GenericServerContext& context, const Route& route,
            const google::protobuf::MethodDescriptor& method,
            const grpc::ByteBuffer& request, Answer answer);

  Options options_;
  std::map<std::string, Route, std::less<>> routes_;  // by service full name
  std::vector<std::unique_ptr<grpc::GenericStub>> stubs_;
  RouterQueues queues_;
};

}  // namespace lmdbapi::server

#endif  // LMDBAPI_SERVER_ROUTER_SHARD_ROUTER_H_
