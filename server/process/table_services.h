// The services of one open database, wired as the table server serves them:
// a TableService per table, Transactions/Commit and Admin, sharing one
// answer queue, change feed, metrics and --max_in_flight limit. server_main
// serves them; tests/fuzz/table_request_fuzz drives the same wiring in
// process.
#ifndef LMDBAPI_SERVER_PROCESS_TABLE_SERVICES_H_
#define LMDBAPI_SERVER_PROCESS_TABLE_SERVICES_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "grpcpp/impl/service_type.h"
#include "server/access/access.h"
#include "server/observability/index_build_log.h"
#include "server/observability/metrics.h"
#include "server/process/config.h"
#include "server/process/serve.h"
#include "server/replication/replica_health.h"
#include "server/schema.h"
#include "server/table/admin_service.h"
#include "server/table/answer_queue.h"
#include "server/table/call_limit.h"
#include "server/table/change_feed.h"
#include "server/table/commit_service.h"
#include "server/table/table_service.h"
#include "storage/database.h"

namespace lmdbapi::server {

// Everything that serves the tables of one open database. Members are
// destroyed in reverse order, after the database has closed (the caller
// closes it first): writes still pending then are answered from `answers`.
// `access` may be null: every call is allowed.
struct TableServices {
  TableServices(storage::Database* db, std::unique_ptr<access::Access> access,
                const Config& config)
      : feed(db), access(std::move(access)), limit(config.max_in_flight) {}

  // Every table and admin call is counted here (Admin/Metrics renders it).
  Metrics metrics;
  // Watch streams follow the change log; the writer wakes them per commit.
  ChangeFeed feed;
  // Writes are answered from here; it outlives the database's drain.
  AnswerQueue answers;
  std::unique_ptr<access::Access> access;
  // --max_in_flight over every table and Transactions call.
  CallLimit limit;
  // What reads wait for (x-min-revision, x-consistency); set before
  // AddServices, or reads never wait.
  std::unique_ptr<ReadConsistency> reads;
  // A replica's: sends the writes a follower takes on to the leader; set
  // before AddServices, or followers refuse writes (NOT_LEADER).
  std::unique_ptr<LeaderForwarder> forwarder;
  // A replica's own (Admin's membership calls); set before AddServices.
  RaftNode* replica = nullptr;
  // A replica's health while it catches up; set before it starts.
  std::unique_ptr<ReplicaHealth> replica_health;
  std::vector<std::unique_ptr<TableService>> tables;
  std::vector<std::unique_ptr<grpc::Service>> services;
  std::unique_ptr<CommitService> commits;
  std::unique_ptr<grpc::Service> transactions;
  std::unique_ptr<AdminService> admin;
  // Logs the index builds and reports them to health; stopped before the
  // database closes.
  std::unique_ptr<IndexBuildLog> build_log;

  // What a gRPC server registers: the table services, Transactions (when
  // the schema has it) and Admin, once AddServices has built them.
  std::vector<grpc::Service*> Registered() const;
};

// Builds `s`'s services over `db`: one TableService (and its generated
// service) per table, then Transactions/Commit over every table and Admin.
// INVALID_ARGUMENT when --shard_key names a field no table has.
absl::Status AddServices(const Config& config, const Schema& schema,
                         storage::Database& db, TableServices& s);

// The full names of the services a table server registers whose requests it
// parses (the schema's and Admin): reflected, and covered by the
// ParseErrorInterceptor (Admin too: a synchronous service, whose unparsed
// request gRPC answers INTERNAL).
std::vector<std::string> ServedServiceNames(const Schema& schema);

}  // namespace lmdbapi::server

#endif  // LMDBAPI_SERVER_PROCESS_TABLE_SERVICES_H_
