// Wiring the table server's services (table_services.h).
#include "server/process/table_services.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "server/table/shard_key.h"

namespace lmdbapi::server {

namespace {

// One TableService (and its generated service) per table of the schema.
absl::Status AddTableServices(const Config& config, const Schema& schema,
                              storage::Database& db, TableServices& s) {
  std::vector<const google::protobuf::Descriptor*> records;
  for (const ServiceBinding& binding : schema.services) {
    storage::Table* table = db.table(binding.collection);
    std::string short_name =
        binding.full_name.substr(binding.full_name.rfind('.') + 1);
    s.tables.push_back(std::make_unique<TableService>(
        table, short_name, &s.answers, s.access.get()));
    const auto* shard_key =
        ShardKeyField(table->schema().descriptor, config.shard_key);
    s.tables.back()->set_shard_key(shard_key);
    s.tables.back()->set_metrics(&s.metrics);
    s.tables.back()->set_call_limit(&s.limit);
    s.tables.back()->set_feed(&s.feed);
    s.tables.back()->set_read_consistency(s.reads.get());
    s.tables.back()->set_forwarder(s.forwarder.get(), binding.full_name);
    records.push_back(table->schema().descriptor);
    s.services.push_back(binding.make(s.tables.back().get()));
  }
  return CheckShardKeyFlag(schema.file, records, config.shard_key);
}

// Transactions/Commit over every table (when the schema has it) and Admin.
void AddCommitAndAdmin(const Config& config, const Schema& schema,
                       storage::Database& db, TableServices& s) {
  std::vector<storage::Table*> in_order;
  CommitService::Options commit_options;
  commit_options.max_writes = config.max_commit_writes;
  for (const storage::TableSpec& spec : schema.tables) {
    in_order.push_back(db.table(spec.name));
    commit_options.shard_keys.push_back(
        ShardKeyField(spec.descriptor, config.shard_key));
  }
  s.commits = std::make_unique<CommitService>(
      &db, std::move(in_order), s.access.get(), std::move(commit_options));
  s.commits->set_metrics(&s.metrics);
  s.commits->set_call_limit(&s.limit);
  s.commits->set_forwarder(s.forwarder.get(), schema.transactions.full_name);
  if (schema.transactions.make) {
    s.transactions = schema.transactions.make(s.commits.get());
  }
  s.admin = std::make_unique<AdminService>(&db, config.backup_dir,
                                           s.access.get(), &s.metrics);
  s.admin->set_replica(s.replica, config.replication_token);
}

}  // namespace

absl::Status AddServices(const Config& config, const Schema& schema,
                         storage::Database& db, TableServices& s) {
  absl::Status added = AddTableServices(config, schema, db, s);
  if (!added.ok()) return added;
  AddCommitAndAdmin(config, schema, db, s);
  return absl::OkStatus();
}

std::vector<grpc::Service*> TableServices::Registered() const {
  std::vector<grpc::Service*> registered;
  for (const auto& service : services) registered.push_back(service.get());
  if (transactions != nullptr) registered.push_back(transactions.get());
  registered.push_back(admin.get());
  return registered;
}

std::vector<std::string> ServedServiceNames(const Schema& schema) {
  std::vector<std::string> names = {"lmdbapi.admin.v1.Admin"};
  std::vector<std::string> schema_names = SchemaServiceNames(schema);
  names.insert(names.end(), schema_names.begin(), schema_names.end());
  return names;
}

}  // namespace lmdbapi::server
