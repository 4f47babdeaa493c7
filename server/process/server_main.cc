#include "server/process/server_main.h"

#include <signal.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "server/observability/log.h"
#include "server/observability/metrics.h"
#include "server/process/config.h"
#include "server/process/reflection_service.h"
#include "server/router/shard_router.h"
#include "server/table/admin_service.h"
#include "server/table/auth.h"
#include "server/table/change_feed.h"
#include "server/table/commit_service.h"
#include "server/table/shard_key.h"
#include "server/table/table_service.h"
#include "storage/database.h"
#include "version/version.h"

namespace lmdbapi::server {
namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

uint64_t Bytes(double gb) {
  // LMDB wants a multiple of the OS page size.
  return static_cast<uint64_t>(std::ceil(gb * kGiB / 4096.0)) * 4096;
}

// Blocks SIGTERM/SIGINT in every thread so that WaitForStop can take them.
sigset_t BlockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

// TLS when --tls_cert/--tls_key name readable PEM files, else plaintext.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentials(
    const Config& config) {
  if (config.tls_cert.empty()) return grpc::InsecureServerCredentials();
  auto read = [](const std::string& flag,
                 const std::string& path) -> absl::StatusOr<std::string> {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    if (!in || text.str().find("-----BEGIN") == std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--", flag, ": '", path, "' is not a readable PEM file"));
    }
    return text.str();
  };
  absl::StatusOr<std::string> cert = read("tls_cert", config.tls_cert);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = read("tls_key", config.tls_key);
  if (!key.ok()) return key.status();
  grpc::SslServerCredentialsOptions options;
  options.pem_key_cert_pairs.push_back({*key, *cert});
  return grpc::SslServerCredentials(options);
}

// --verify: every index of every table against the records.
int Verify(const storage::Database& db) {
  bool consistent = true;
  for (const auto& table : db.tables()) {
    absl::StatusOr<storage::IndexReport> report = table->VerifyIndexes();
    if (!report.ok()) {
      Log(LogLevel::kError, "verify %s: %s", table->schema().name,
          report.status().ToString());
      return 1;
    }
    Log(report->ok() ? LogLevel::kInfo : LogLevel::kError,
        "verify %s: %d records, %d index entries, %d mismatches",
        table->schema().name, report->records, report->entries,
        report->mismatches.size());
    for (const storage::IndexMismatch& m : report->mismatches) {
      Log(LogLevel::kError, "  %s index %s, key '%s': %s", table->schema().name,
          m.index, m.primary_key,
          m.kind == storage::IndexMismatch::Kind::kMissing    ? "missing"
          : m.kind == storage::IndexMismatch::Kind::kDangling ? "dangling"
                                                              : "orphan");
    }
    consistent = consistent && report->ok();
  }
  Log(LogLevel::kInfo, "verify: %s",
      consistent ? "consistent" : "INCONSISTENT");
  return consistent ? 0 : 1;
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

// Writes the bound port to --port_file (atomically), if asked.
void WritePortFile(const Config& config, int port) {
  if (config.port_file.empty()) return;
  std::string tmp = config.port_file + ".tmp";
  std::ofstream(tmp) << port << "\n";
  std::rename(tmp.c_str(), config.port_file.c_str());
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
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      ServerCredentials(config);
  if (!credentials.ok()) {
    Log(LogLevel::kError, "%s", credentials.status().message());
    return 2;
  }
  ShardRouter::Options options;
  options.shards = config.shards;
  options.max_page_size = config.max_page_size;
  options.max_message_bytes = config.max_message_bytes;
  ShardRouter router(schema, *tables, options);
  grpc::EnableDefaultHealthCheckService(true);
  BearerAuth auth(config.auth_token);
  std::vector<std::string> names = {"grpc.health.v1.Health",
                                    "grpc.reflection.v1alpha.ServerReflection"};
  for (const ServiceBinding& binding : schema.services) {
    names.push_back(binding.full_name);
  }
  if (!schema.transactions.full_name.empty()) {
    names.push_back(schema.transactions.full_name);
  }
  ReflectionService reflection(names, config.open_reflection ? nullptr : &auth);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(config.listen, *credentials, &port);
  builder.SetMaxReceiveMessageSize(static_cast<int>(config.max_message_bytes));
  builder.SetMaxSendMessageSize(static_cast<int>(config.max_message_bytes));
  builder.RegisterService(&reflection);
  builder.RegisterCallbackGenericService(&router);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    Log(LogLevel::kError, "cannot listen on %s", config.listen);
    return 1;
  }
  auto* health = server->GetHealthCheckService();
  for (const ServiceBinding& binding : schema.services) {
    health->SetServingStatus(binding.full_name, true);
  }
  if (!schema.transactions.full_name.empty()) {
    health->SetServingStatus(schema.transactions.full_name, true);
  }
  health->SetServingStatus("", true);
  std::string shards;
  for (const std::string& s : config.shards) {
    absl::StrAppend(&shards, shards.empty() ? "" : ", ", s);
  }
  Log(LogLevel::kInfo, "routing %s on %s:%d over %d shards: %s", schema.file,
      config.listen.substr(0, config.listen.rfind(':')), port,
      config.shards.size(), shards);
  WritePortFile(config, port);
  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  Log(LogLevel::kInfo, "signal %d: draining in-flight calls", signal_number);
  health->SetServingStatus(false);
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(10));
  server->Wait();
  Log(LogLevel::kInfo, "stopped");
  return 0;
}

}  // namespace

int ServerMain(int argc, char** argv, const Schema& schema) {
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
    config->verify = true;  // then open it like a server would, and check
  }
  sigset_t stop_signals = BlockStopSignals();  // before any thread starts
  if (!config->shards.empty())
    return ServeRouter(*config, schema, stop_signals);

  storage::DatabaseOptions options;
  options.env.path = config->data_dir;
  options.env.map_size_bytes = Bytes(config->map_size_gb);
  options.env.max_map_size_bytes =
      Bytes(config->max_map_size_gb == 0 ? 16 * config->map_size_gb
                                         : config->max_map_size_gb);
  options.env.max_readers = config->max_readers;
  options.env.max_dbs = config->max_dbs;
  options.env.durability = config->durability;
  options.table.max_page_size = config->max_page_size;
  options.change_retention = config->watch_retention;
  options.rotate_page_token_secret = config->rotate_page_token_secret;
  absl::StatusOr<std::unique_ptr<storage::Database>> db =
      storage::Database::Open(options, schema.tables);
  if (!db.ok()) {
    Log(LogLevel::kError, "cannot open %s: %s", config->data_dir,
        db.status().ToString());
    return 1;
  }
  for (const std::string& line : (*db)->open_log())
    Log(LogLevel::kInfo, "%s", line);
  if (config->verify) return Verify(**db);

  // Every table and admin call is counted here (Admin/Metrics renders it);
  // it outlives whatever records.
  Metrics metrics;
  // Watch streams follow the change log; the writer wakes them per commit.
  ChangeFeed feed(db->get());
  (*db)->writer().set_on_commit([&feed] { feed.Notify(); });
  // Writes are answered from here; it outlives the database's drain below.
  AnswerQueue answers;
  std::vector<std::unique_ptr<TableService>> tables;
  std::vector<std::unique_ptr<grpc::Service>> services;
  grpc::EnableDefaultHealthCheckService(true);
  BearerAuth auth(config->auth_token);
  if (auth.enabled()) {
    Log(LogLevel::kInfo, "bearer-token authentication on; reflection %s",
        config->open_reflection ? "open (--open_reflection)"
                                : "needs the token too");
  }
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      ServerCredentials(*config);
  if (!credentials.ok()) {
    Log(LogLevel::kError, "%s", credentials.status().message());
    return 2;
  }
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(config->listen, *credentials, &port);
  builder.SetMaxReceiveMessageSize(static_cast<int>(config->max_message_bytes));
  builder.SetMaxSendMessageSize(static_cast<int>(config->max_message_bytes));
  int shard_keyed = 0;
  for (const ServiceBinding& binding : schema.services) {
    storage::Table* table = (*db)->table(binding.collection);
    std::string short_name =
        binding.full_name.substr(binding.full_name.rfind('.') + 1);
    tables.push_back(
        std::make_unique<TableService>(table, short_name, &answers, &auth));
    const auto* shard_key =
        ShardKeyField(table->schema().descriptor, config->shard_key);
    tables.back()->set_shard_key(shard_key);
    tables.back()->set_metrics(&metrics);
    tables.back()->set_feed(&feed);
    shard_keyed += shard_key != nullptr;
    services.push_back(binding.make(tables.back().get()));
    builder.RegisterService(services.back().get());
  }
  if (!config->shard_key.empty() && shard_keyed == 0) {
    Log(LogLevel::kError, "--shard_key: no table of %s has a string field '%s'",
        schema.file, config->shard_key);
    return 2;
  }
  std::vector<storage::Table*> in_order;
  CommitService::Options commit_options;
  commit_options.max_writes = config->max_commit_writes;
  for (const storage::TableSpec& spec : schema.tables) {
    in_order.push_back((*db)->table(spec.name));
    commit_options.shard_keys.push_back(
        ShardKeyField(spec.descriptor, config->shard_key));
  }
  CommitService commits(db->get(), std::move(in_order), &answers, &auth,
                        std::move(commit_options));
  commits.set_metrics(&metrics);
  std::unique_ptr<grpc::Service> transactions;
  if (schema.transactions.make) {
    transactions = schema.transactions.make(&commits);
    builder.RegisterService(transactions.get());
  }
  AdminService admin(db->get(), config->backup_dir, &auth, &metrics);
  builder.RegisterService(&admin);
  std::vector<std::string> names = {"grpc.health.v1.Health",
                                    "grpc.reflection.v1alpha.ServerReflection",
                                    "lmdbapi.admin.v1.Admin"};
  for (const ServiceBinding& binding : schema.services) {
    names.push_back(binding.full_name);
  }
  if (!schema.transactions.full_name.empty()) {
    names.push_back(schema.transactions.full_name);
  }
  ReflectionService reflection(names,
                               config->open_reflection ? nullptr : &auth);
  builder.RegisterService(&reflection);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    Log(LogLevel::kError,
        "cannot listen on %s (in use, or not a local address?)",
        config->listen);
    return 1;
  }
  auto* health = server->GetHealthCheckService();
  for (const ServiceBinding& binding : schema.services) {
    health->SetServingStatus(binding.full_name, true);
  }
  if (!schema.transactions.full_name.empty()) {
    health->SetServingStatus(schema.transactions.full_name, true);
  }
  health->SetServingStatus("", true);
  std::string host = config->listen.substr(0, config->listen.rfind(':'));
  Log(LogLevel::kInfo, "serving %s (%d tables) on %s:%d, data in %s",
      schema.file, schema.tables.size(), host, port, config->data_dir);
  WritePortFile(*config, port);

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  Log(LogLevel::kInfo, "signal %d: draining in-flight calls", signal_number);
  health->SetServingStatus(false);
  // Watch streams end now (UNAVAILABLE, with the revision to resume from).
  feed.Close();
  // In-flight calls finish (writes complete on the writer thread), then the
  // pending commit finishes when the database closes.
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(10));
  Log(LogLevel::kDebug, "server shut down");
  server->Wait();
  storage::WriterStats w = (*db)->writer().stats();
  if (w.batches > 0) {
    Log(LogLevel::kInfo,
        "writer: %d writes in %d commits (%.1f per commit); applying "
        "%.1f µs per write, committing %.0f µs per commit, answering "
        "%.1f µs per write",
        w.operations, w.batches, double(w.operations) / w.batches,
        double(w.apply_micros) / std::max<uint64_t>(1, w.operations),
        double(w.commit_micros) / w.batches,
        double(w.done_micros) / std::max<uint64_t>(1, w.operations));
  }
  Log(LogLevel::kDebug, "server stopped; closing the database");
  db->reset();
  Log(LogLevel::kInfo, "stopped");
  return 0;
}

}  // namespace lmdbapi::server
