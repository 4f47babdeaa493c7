#include "server/process/server_main.h"

#include <signal.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/security/server_credentials.h"
#include "model/request_layout.h"
#include "server/access/access.h"
#include "server/observability/index_build_log.h"
#include "server/observability/log.h"
#include "server/process/allocator.h"
#include "server/process/config.h"
#include "server/process/peer_channel.h"
#include "server/process/serve.h"
#include "server/process/table_services.h"
#include "server/replication/raft_node.h"
#include "server/replication/snapshot_fetch.h"
#include "server/router/shard_map.h"
#include "server/router/shard_router.h"
#include "server/table/parse_errors.h"
#include "server/table/shard_key.h"
#include "storage/database.h"
#include "storage/replication_state.h"
#include "storage/stored_schema.h"
#include "version/version.h"

namespace lmdbapi::server {
namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

uint64_t Bytes(double gb) {
  // LMDB wants a multiple of the OS page size.
  return static_cast<uint64_t>(std::ceil(gb * kGiB / 4096.0)) * 4096;
}

// Logs a verify report; 0 when consistent.
int LogVerifyReport(const storage::VerifyReport& report) {
  Log(report.ok() ? LogLevel::kInfo : LogLevel::kError,
      "verify: %d records, %d index entries, %d mismatches", report.records,
      report.entries, report.mismatches.size());
  for (const std::string& m : report.mismatches) {
    Log(LogLevel::kError, "  %s", m);
  }
  for (const std::string& b : report.building) {
    Log(LogLevel::kWarning, "  index %s is being built: not checked", b);
  }
  Log(LogLevel::kInfo, "verify: %s",
      report.ok() ? "consistent" : "INCONSISTENT");
  return report.ok() ? 0 : 1;
}

// --verify: opens --data_dir read-only (nothing in it is written; it may be
// on a read-only mount) with the schema it records, or this server's when
// it records none, and checks every index against the records.
int VerifyCommand(storage::DatabaseOptions options, const Schema& schema) {
  options.read_only = true;
  absl::StatusOr<storage::StoredSchema> stored =
      storage::ReadStoredSchema(options.env.path);
  if (!stored.ok() && !absl::IsNotFound(stored.status())) {
    Log(LogLevel::kError, "cannot verify %s: %s", options.env.path,
        stored.status().ToString());
    return 1;
  }
  if (stored.ok()) {
    Log(LogLevel::kInfo, "verify %s with the schema it records (%s)",
        options.env.path, stored->file->name());
  } else {
    Log(LogLevel::kInfo, "%s; verifying with this server's (%s)",
        stored.status().message(), schema.file);
  }
  absl::StatusOr<std::unique_ptr<storage::Database>> db =
      storage::Database::Open(options,
                              stored.ok() ? stored->tables : schema.tables);
  if (!db.ok()) {
    Log(LogLevel::kError, "cannot open %s: %s", options.env.path,
        db.status().ToString());
    return 1;
  }
  absl::StatusOr<storage::VerifyReport> report = (*db)->Verify();
  if (!report.ok()) {
    Log(LogLevel::kError, "verify: %s", report.status().ToString());
    return 1;
  }
  return LogVerifyReport(*report);
}

// --backup_to / --restore_from: one copy, reported; 0 when it succeeded.
int CopyCommand(const std::string& from, const std::string& to) {
  absl::StatusOr<storage::CopyReport> copy = storage::CopyDirectory(from, to);
  if (!copy.ok()) {
    Log(LogLevel::kError, "copy %s to %s: %s", from, to,
        copy.status().ToString());
    return 1;
  }
  std::string tables;
  for (const auto& [name, count] : copy->records) {
    absl::StrAppend(&tables, " ", name, "=", count);
  }
  Log(LogLevel::kInfo, "copied %s to %s: %d bytes, records:%s", from,
      copy->path, copy->bytes, tables);
  return 0;
}

// The credentials `made` (ServerCredentials, PeerCredentials), or nullptr
// once its error (naming the flag and file) is logged.
template <typename Credentials>
std::shared_ptr<Credentials> OrLog(
    absl::StatusOr<std::shared_ptr<Credentials>> made) {
  if (made.ok()) return *std::move(made);
  Log(LogLevel::kError, "%s", made.status().message());
  return nullptr;
}

// The access checks of the flags (--auth_token, --jwks_file, --jwt_issuer,
// --jwt_audience, --auth_policy), or nullptr once the error (naming the flag
// and file) is logged.
std::unique_ptr<access::Access> AccessOrLog(const Config& config,
                                            const Schema& schema) {
  access::Access::Options options;
  options.static_token = config.auth_token;
  options.jwks_file = config.jwks_file;
  options.jwt_issuer = config.jwt_issuer;
  options.jwt_audience = config.jwt_audience;
  options.policy_file = config.auth_policy;
  options.trusted_proxies = config.trusted_proxies;
  for (const storage::TableSpec& table : schema.tables) {
    options.tables.push_back(table.name);
  }
  absl::StatusOr<std::unique_ptr<access::Access>> access =
      access::Access::Create(std::move(options));
  if (access.ok()) return *std::move(access);
  Log(LogLevel::kError, "%s", access.status().message());
  return nullptr;
}

// What is asked of callers, logged once at the start.
void LogAccess(const Config& config, const access::Access& access) {
  if (!access.enabled()) return;
  Log(LogLevel::kInfo, "authentication on (%s%s%s); %s; reflection %s",
      config.auth_token.empty() ? "" : "static token ",
      config.jwks_file.empty() ? "" : "JWTs of --jwks_file ",
      "client certificates",
      access.has_policy() ? "permissions of --auth_policy"
                          : "every identity may do everything",
      config.open_reflection ? "open (--open_reflection)"
                             : "needs credentials too");
}

// --shards: the stateless fan-out router (server/router/shard_router.h), with
// health and reflection of the same services, until SIGTERM/SIGINT.
int ServeRouter(const Config& config, const Schema& schema,
                sigset_t stop_signals) {
  absl::StatusOr<std::vector<storage::TableSchema>> tables =
      storage::ResolveSchema(schema.tables);
  if (!tables.ok()) {
    Log(LogLevel::kError, "schema: %s", tables.status().ToString());
    return 1;
  }
  std::shared_ptr<grpc::ServerCredentials> credentials =
      OrLog(ServerCredentials(config));
  if (credentials == nullptr) return 2;
  ShardRouter::Options options;
  options.credentials = OrLog(PeerCredentials(config));
  if (options.credentials == nullptr) return 2;
  options.shards = config.shards;
  options.max_page_size = config.max_page_size;
  options.max_message_bytes = config.max_message_bytes;
  if (!config.shard_map.empty()) {
    absl::StatusOr<ShardMap> map =
        ShardMap::Load(config.shard_map, config.shards);
    if (!map.ok()) {
      Log(LogLevel::kError, "%s", map.status().message());
      return 2;
    }
    options.shard_map = std::make_shared<const ShardMap>(*std::move(map));
    options.shard_key = config.shard_key;
    std::vector<const google::protobuf::Descriptor*> records;
    for (const storage::TableSchema& t : *tables)
      records.push_back(t.descriptor);
    if (absl::Status key =
            CheckShardKeyFlag(schema.file, records, config.shard_key);
        !key.ok()) {
      Log(LogLevel::kError, "%s", key.message());
      return 2;
    }
  }
  // The shards check every forwarded call; here only reflection asks.
  std::unique_ptr<access::Access> access = AccessOrLog(config, schema);
  if (access == nullptr) return 2;
  ShardRouter router(schema, *tables, options);
  ServeSpec spec;
  spec.on_build = [&](grpc::ServerBuilder& builder) {
    router.Register(builder);
  };
  spec.on_started = [&] { router.Start(); };
  spec.on_drained = [&] { router.Stop(); };
  spec.reflected = spec.healthy = SchemaServiceNames(schema);
  spec.auth = access.get();
  spec.on_serving = [&](const std::string& host, int port) {
    std::string shards;
    for (const std::string& s : config.shards) {
      absl::StrAppend(&shards, shards.empty() ? "" : ", ", s);
    }
    Log(LogLevel::kInfo, "routing %s on %s:%d over %d shards: %s", schema.file,
        host, port, config.shards.size(), shards);
  };
  return Serve(config, std::move(credentials), std::move(spec), stop_signals);
}

// --data_dir and the LMDB flags as the database's options.
storage::DatabaseOptions DatabaseOptionsOf(const Config& config) {
  storage::DatabaseOptions options;
  options.env.path = config.data_dir;
  options.env.map_size_bytes = Bytes(config.map_size_gb);
  options.env.max_map_size_bytes =
      Bytes(config.max_map_size_gb == 0 ? 16 * config.map_size_gb
                                        : config.max_map_size_gb);
  options.env.max_readers = config.max_readers;
  options.env.max_dbs = config.max_dbs;
  options.env.durability = config.durability;
  options.table.max_page_size = config.max_page_size;
  options.table.uuid_tag = config.shard_tag;
  options.change_retention = config.watch_retention;
  options.rotate_page_token_secret = config.rotate_page_token_secret;
  options.max_queued_writes = config.max_queued_writes;
  options.index_build_share = config.index_build_share;
  options.index_build_chunk_records = config.index_build_chunk;
  options.index_build_nice = config.index_build_nice;
  return options;
}

// The database of --data_dir with its open log logged; nullptr once its
// error is logged.
std::unique_ptr<storage::Database> OpenDatabase(const Config& config,
                                                const Schema& schema) {
  absl::StatusOr<std::unique_ptr<storage::Database>> db =
      storage::Database::Open(DatabaseOptionsOf(config), schema.tables);
  if (!db.ok()) {
    Log(LogLevel::kError, "cannot open %s: %s", config.data_dir,
        db.status().ToString());
    return nullptr;
  }
  for (const std::string& line : (*db)->open_log())
    Log(LogLevel::kInfo, "%s", line);
  return *std::move(db);
}

// What the writer did, once it has stopped.
void LogWriterStats(const storage::WriterStats& w) {
  if (w.batches == 0) return;
  Log(LogLevel::kInfo,
      "writer: %d writes in %d commits (%.1f per commit); applying "
      "%.1f µs per write, committing %.0f µs per commit, answering "
      "%.1f µs per write",
      w.operations, w.batches, double(w.operations) / w.batches,
      double(w.apply_micros) / std::max<uint64_t>(1, w.operations),
      double(w.commit_micros) / w.batches,
      double(w.done_micros) / std::max<uint64_t>(1, w.operations));
}

// Joins the replicated shard of --replicas as replica --replica_id: the
// database's writes go through the group's log from now on. Null (logged)
// when it cannot.
std::unique_ptr<RaftNode> StartReplica(
    const Config& config, storage::Database& db,
    std::shared_ptr<grpc::ChannelCredentials> peer_credentials,
    ReplicaHealth* health) {
  RaftOptions options;
  options.id = config.replica_id;
  options.replicas = config.replicas;
  options.dir = config.raft_dir;
  options.election_timeout_ms = config.election_timeout_ms;
  options.snapshot_threshold = config.snapshot_entries;
  options.snapshot_trailing = config.snapshot_trailing;
  options.snapshot_bytes = uint64_t{config.snapshot_mb} << 20;
  options.join = config.join;
  options.ready_lag = config.ready_lag;
  options.on_readiness = [health](bool ready, uint64_t behind) {
    health->Set(ready, behind);
  };
  options.catch_up = [&config, &db, peer_credentials](const std::string& leader,
                                                      uint64_t index) {
    return CatchUpFromSnapshot(
        {leader, config.auth_token, config.replication_token, peer_credentials},
        index, config.data_dir + "/snapshot.incoming", db.writer());
  };
  absl::StatusOr<std::unique_ptr<RaftNode>> node =
      RaftNode::Create(options, &db.writer(), db.env().raw());
  absl::Status status = node.status();
  if (status.ok()) {
    status = db.Replicate(node->get(), config.replica_id,
                          config.replication_pipeline);
  }
  if (status.ok()) status = (*node)->Start();
  if (!status.ok()) {
    Log(LogLevel::kError, "%s", status.message());
    return nullptr;
  }
  return *std::move(node);
}

// The full names ("/pkg.Service/Method") of `methods` in every table's
// service (a child table's has no Paginate: the name goes unused).
template <size_t N>
absl::flat_hash_set<std::string> TableMethods(const Schema& schema,
                                              const char* const (&methods)[N]) {
  absl::flat_hash_set<std::string> names;
  for (const ServiceBinding& binding : schema.services) {
    for (const char* method : methods) {
      names.insert(absl::StrCat("/", binding.full_name, "/", method));
    }
  }
  return names;
}

// What Serve registers and does around serving for the table server.
ServeSpec TableServeSpec(const Config& config, const Schema& schema,
                         std::unique_ptr<storage::Database>& db,
                         std::unique_ptr<RaftNode>& replica, TableServices& s) {
  ServeSpec spec;
  spec.services = s.Registered();
  spec.reflected = ServedServiceNames(schema);
  spec.healthy = SchemaServiceNames(schema);
  spec.auth = s.access.get();
  // The raw methods parse their own requests, and the unary ones count
  // themselves: a call with no interceptor is ~6,000 instructions cheaper.
  namespace L = model::layout;
  absl::flat_hash_set<std::string> raw_unary =
      TableMethods(schema, L::kRawReads);
  raw_unary.merge(TableMethods(schema, L::kRawWrites));
  if (!schema.transactions.full_name.empty()) {  // Commit is raw too
    raw_unary.insert(
        absl::StrCat("/", schema.transactions.full_name, "/Commit"));
  }
  if (auto counter = s.limit.Counter(raw_unary)) {
    spec.interceptors.push_back(std::move(counter));
  }
  absl::flat_hash_set<std::string> raw = TableMethods(schema, L::kRawStreams);
  raw.insert(raw_unary.begin(), raw_unary.end());
  NoteInvalidUtf8Fields();
  spec.interceptors.push_back(ParseErrorInterceptor(spec.reflected, raw));
  spec.listen_error_detail = " (in use, or not a local address?)";
  spec.on_serving = [&](const std::string& host, int port) {
    Log(LogLevel::kInfo, "serving %s (%d tables) on %s:%d, data in %s",
        schema.file, schema.tables.size(), host, port, config.data_dir);
  };
  // Watch streams end now (UNAVAILABLE, with the revision to resume from).
  spec.on_stop = [&s] {
    if (s.replica_health != nullptr) s.replica_health->Stop();
    s.feed.Close();
  };
  spec.on_health = [&s](grpc::HealthCheckServiceInterface* health) {
    s.build_log->set_health(health);
    if (s.replica_health != nullptr) s.replica_health->Attach(health);
  };
  // In-flight calls have finished (writes complete on the writer thread);
  // the pending commit finishes when the database closes.
  spec.on_drained = [&db, &replica, &s] {
    Log(LogLevel::kDebug, "server shut down");
    if (replica != nullptr) replica->Close();  // before the writer stops
    LogWriterStats(db->writer().stats());
    Log(LogLevel::kDebug, "server stopped; closing the database");
    s.build_log.reset();
    db.reset();
  };
  return spec;
}

// Serves the tables of --data_dir until SIGTERM/SIGINT (or, with --verify,
// checks them and exits).
int ServeTables(const Config& config, const Schema& schema,
                sigset_t stop_signals) {
  if (config.verify) return VerifyCommand(DatabaseOptionsOf(config), schema);
  // Before the data directory is touched: a bad policy or key file stops
  // here.
  std::unique_ptr<access::Access> access = AccessOrLog(config, schema);
  if (access == nullptr) return 2;
  std::unique_ptr<storage::Database> db = OpenDatabase(config, schema);
  if (db == nullptr) return 1;

  LogAccess(config, *access);
  TableServices services(db.get(), std::move(access), config);
  services.build_log = std::make_unique<IndexBuildLog>(db.get());
  db->writer().set_on_commit([&services] { services.feed.Notify(); });
  std::unique_ptr<RaftNode> replica;
  std::shared_ptr<grpc::ChannelCredentials> peer_credentials;
  if (config.replica_id != 0) {
    peer_credentials = OrLog(PeerCredentials(config));
    if (peer_credentials == nullptr) return 2;
    services.replica_health = std::make_unique<ReplicaHealth>();
    replica = StartReplica(config, *db, peer_credentials,
                           services.replica_health.get());
    if (replica == nullptr) return 1;
  }
  services.reads =
      std::make_unique<ReadConsistency>(&db->writer(), replica.get());
  if (replica != nullptr) {
    services.forwarder = std::make_unique<LeaderForwarder>(
        config.max_message_bytes, std::move(peer_credentials));
    services.replica = replica.get();
  }
  std::shared_ptr<grpc::ServerCredentials> credentials =
      OrLog(ServerCredentials(config));
  if (credentials == nullptr) return 2;
  if (absl::Status added = AddServices(config, schema, *db, services);
      !added.ok()) {
    Log(LogLevel::kError, "%s", added.message());
    return 2;
  }
  return Serve(config, std::move(credentials),
               TableServeSpec(config, schema, db, replica, services),
               stop_signals);
}

}  // namespace

int ServerMain(int argc, char** argv, Schema schema) {
  BoundAllocatorCaches();
  // Debian's abseil checks every mutex acquisition for lock-order cycles
  // (its deadlock detection is on unless abseil itself was built with
  // NDEBUG), 3-5 % of the server's CPU under writes (docs/BENCHMARKS.md).
  // The sanitizer build (scripts/sanitize) keeps it, so the tests run there
  // still catch a lock-order inversion.
#if !defined(__SANITIZE_ADDRESS__)
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
#endif
  if (absl::Status declared = DeclareTables(&schema); !declared.ok()) {
    fprintf(stderr, "%s: %s\n", argv[0],
            std::string(declared.message()).c_str());
    return 2;
  }
  std::vector<std::string> args(argv + 1, argv + argc);
  absl::StatusOr<Config> config =
      ParseConfig(args, [](const char* name) { return std::getenv(name); });
  if (!config.ok()) {
    fprintf(stderr, "%s: %s\n", argv[0],
            std::string(config.status().message()).c_str());
    return 2;
  }
  if (config->help) {
    fputs(ConfigHelp(argv[0]).c_str(), stdout);
    return 0;
  }
  if (config->version) {
    printf("%s (lmdbapi) %s\n", argv[0], Version());
    return 0;
  }
  SetLogLevel(config->log_level);
  if (!config->backup_to.empty()) {
    return CopyCommand(config->data_dir, config->backup_to);
  }
  if (!config->restore_from.empty()) {
    int copied = CopyCommand(config->restore_from, config->data_dir);
    if (copied != 0) return copied;
    if (!config->rejoin) {  // the start of a new replication log
      absl::Status forgot = storage::ForgetReplicationLog(config->data_dir);
      if (!forgot.ok()) {
        Log(LogLevel::kError, "%s", forgot.message());
        return 1;
      }
    }
    config->verify = true;  // then open it like a server would, and check
  }
  sigset_t stop_signals = BlockStopSignals();  // before any thread starts
  return AwaitGrpcShutdown(!config->shards.empty()
                               ? ServeRouter(*config, schema, stop_signals)
                               : ServeTables(*config, schema, stop_signals));
}

}  // namespace lmdbapi::server
