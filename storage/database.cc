#include "storage/database.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "base/status_macros.h"
#include "storage/index_builder.h"
#include "storage/lmdb.h"
#include "storage/secure_random.h"
#include "storage/status.h"

namespace lmdbapi::storage {
namespace {

constexpr char kMetaDb[] = "__lmdbapi_meta";
constexpr char kChangesDb[] = "__changes";
constexpr char kFormatKey[] = "format_version";
constexpr char kFormatVersion[] = "1";
constexpr char kSecretKey[] = "page_token_secret";

std::string IndexDbName(absl::string_view table, absl::string_view index) {
  return absl::StrCat(table, ".idx.", index);
}
// Starts with "__": not a table to tools that list tables (backup reports).
std::string VersionsDbName(absl::string_view table) {
  return absl::StrCat("__versions.", table);
}
std::string IndexMetaKey(absl::string_view table, absl::string_view index) {
  return absl::StrCat("index/", table, "/", index);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Database>> Database::Open(
    const DatabaseOptions& options, const std::vector<TableSpec>& tables) {
  LMDBAPI_ASSIGN_OR_RETURN(std::vector<TableSchema> schemas,
                           ResolveSchema(tables));
  // Meta and change log + two per table (records, versions) + one per index.
  size_t dbs = 2;
  for (const TableSchema& t : schemas) dbs += 2 + t.indexes.size();
  DatabaseOptions opts = options;
  opts.env.max_dbs = std::max<unsigned>(opts.env.max_dbs, dbs + 8);

  std::unique_ptr<Database> db(new Database());
  LMDBAPI_ASSIGN_OR_RETURN(db->env_, Environment::Open(opts.env));
  absl::Status status = db->OpenTables(schemas, opts);
  // Opening may build indexes; a full map there grows it like the writer.
  while (IsMapFull(status)) {
    LMDBAPI_RETURN_IF_ERROR(db->env_->GrowMap());
    db->builder_.reset();
    db->tables_.clear();
    db->open_log_.clear();
    status = db->OpenTables(schemas, opts);
  }
  LMDBAPI_RETURN_IF_ERROR(status);
  db->writer_ = std::make_unique<Writer>(db->env_.get(), opts.max_batch,
                                         opts.max_queued_writes);
  for (auto& table : db->tables_) {
    table->writer_ = db->writer_.get();
    table->options_ = opts.table;
    table->builder_ = db->builder_.get();
  }
  db->builder_->set_writer(db->writer_.get());
  if (opts.read_only) return db;  // builds wait for a writable open
  db->builder_->Start();
  if (!opts.build_indexes_online) {
    LMDBAPI_RETURN_IF_ERROR(db->WaitForIndexBuilds());
  }
  return db;
}

absl::Status Database::LoadOrMakeSecret(MDB_txn* txn, MDB_dbi meta,
                                        bool rotate) {
  absl::StatusOr<absl::string_view> stored = GetValue(txn, meta, kSecretKey);
  if (!rotate && stored.ok() && stored->size() == secret_.size()) {
    std::copy(stored->begin(), stored->end(), secret_.begin());
    return absl::OkStatus();
  }
  LMDBAPI_RETURN_IF_ERROR(SecureRandom(absl::MakeSpan(secret_)));
  return PutValue(
      txn, meta, kSecretKey,
      absl::string_view(reinterpret_cast<const char*>(secret_.data()),
                        secret_.size()));
}

absl::Status Database::OpenTables(const std::vector<TableSchema>& schemas,
                                  const DatabaseOptions& opts) {
  LMDBAPI_ASSIGN_OR_RETURN(Txn txn, Txn::BeginWrite(env_->raw(), nullptr));
  LMDBAPI_ASSIGN_OR_RETURN(MDB_dbi meta, OpenMetaInTxn(txn.get()));
  LMDBAPI_RETURN_IF_ERROR(
      LoadOrMakeSecret(txn.get(), meta, opts.rotate_page_token_secret));
  for (const TableSchema& schema : schemas) {
    LMDBAPI_ASSIGN_OR_RETURN(std::unique_ptr<Table> table,
                             OpenTableInTxn(txn.get(), schema, meta));
    tables_.push_back(std::move(table));
  }
  LMDBAPI_ASSIGN_OR_RETURN(MDB_dbi change_log,
                           env_->OpenDatabase(txn.get(), kChangesDb));
  changes_ = std::make_unique<ChangeLog>(
      change_log, meta, std::max<uint64_t>(1, opts.change_retention));
  clock_ = std::make_unique<RevisionClock>(meta);
  LinkTables();
  for (auto& table : tables_) {
    LMDBAPI_RETURN_IF_ERROR(BuildIndexesInTxn(txn.get(), meta, *table));
    LMDBAPI_RETURN_IF_ERROR(DropIndexesInTxn(txn.get(), meta, *table));
  }
  std::vector<Table*> tables;
  for (auto& table : tables_) tables.push_back(table.get());
  builder_ = std::make_unique<IndexBuilder>(meta, std::move(tables));
  LMDBAPI_RETURN_IF_ERROR(builder_->Load(txn.get()));
  return txn.Commit();
}

absl::StatusOr<MDB_dbi> Database::OpenMetaInTxn(MDB_txn* txn) {
  LMDBAPI_ASSIGN_OR_RETURN(MDB_dbi meta, env_->OpenDatabase(txn, kMetaDb));
  absl::StatusOr<absl::string_view> format = GetValue(txn, meta, kFormatKey);
  if (format.ok() && *format != kFormatVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        "data directory '", env_->options().path, "' has format version ",
        *format, "; this build reads version ", kFormatVersion));
  }
  if (!format.ok()) {
    if (!absl::IsNotFound(format.status())) return format.status();
    LMDBAPI_RETURN_IF_ERROR(PutValue(txn, meta, kFormatKey, kFormatVersion));
  }
  return meta;
}

absl::StatusOr<std::unique_ptr<Table>> Database::OpenTableInTxn(
    MDB_txn* txn, const TableSchema& schema, MDB_dbi meta) {
  LMDBAPI_ASSIGN_OR_RETURN(MDB_dbi records,
                           env_->OpenDatabase(txn, schema.name));
  LMDBAPI_ASSIGN_OR_RETURN(
      MDB_dbi versions, env_->OpenDatabase(txn, VersionsDbName(schema.name)));
  std::vector<MDB_dbi> index_dbis;
  for (const IndexSchema& index : schema.indexes) {
    LMDBAPI_ASSIGN_OR_RETURN(
        MDB_dbi dbi,
        env_->OpenDatabase(txn, IndexDbName(schema.name, index.name)));
    index_dbis.push_back(dbi);
  }
  const google::protobuf::Message* prototype =
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(
          schema.descriptor);
  if (prototype == nullptr) {  // a schema read at run time, not compiled in
    if (dynamic_factory_ == nullptr) {
      dynamic_factory_ =
          std::make_unique<google::protobuf::DynamicMessageFactory>();
    }
    prototype = dynamic_factory_->GetPrototype(schema.descriptor);
  }
  return std::unique_ptr<Table>(new Table(schema, env_.get(), nullptr, records,
                                          index_dbis, versions, meta, &secret_,
                                          prototype, TableOptions{}));
}

void Database::LinkTables() {
  for (auto& table : tables_) {
    table->changes_ = changes_.get();
    table->clock_ = clock_.get();
  }
  for (auto& table : tables_) {
    if (table->schema().parent_table.empty()) continue;
    Table* parent = this->table(table->schema().parent_table);
    table->parent_ = parent;
    parent->children_.push_back(table.get());
  }
}

absl::Status Database::BuildIndexesInTxn(MDB_txn* txn, MDB_dbi meta,
                                         const Table& table) {
  std::vector<Table::Index> links;  // parent links: built here, whole
  for (size_t i = 0; i < table.indexes_.size(); ++i) {
    const Table::Index& index = table.indexes_[i];
    std::string key = IndexMetaKey(table.name(), index.schema->name);
    std::string definition = index.schema->Definition();
    absl::StatusOr<absl::string_view> stored = GetValue(txn, meta, key);
    if (stored.ok() && *stored == definition) continue;
    LMDBAPI_RETURN_IF_ERROR(PutValue(txn, meta, key, definition));
    const std::string db = IndexDbName(table.name(), index.schema->name);
    if (index.schema->parent_link) {
      links.push_back(index);
      open_log_.push_back(absl::StrCat("built index ", db, " ", definition));
      continue;
    }
    LMDBAPI_RETURN_IF_ERROR(
        IndexBuilder::MarkBuildingInTxn(txn, meta, table, i).status());
    const bool empty = table.index_state(i) == IndexState::kReady;
    open_log_.push_back(absl::StrCat(empty ? "built index " : "building index ",
                                     db, " ", definition));
  }
  if (links.empty()) return absl::OkStatus();
  return table.RebuildInTxn(txn, links);
}

absl::Status Database::DropIndexesInTxn(MDB_txn* txn, MDB_dbi meta,
                                        const Table& table) {
  // Meta keys of indexes the schema no longer has.
  std::string prefix = IndexMetaKey(table.name(), "");
  std::vector<std::string> dropped;
  {
    LMDBAPI_ASSIGN_OR_RETURN(Cursor cursor, Cursor::Open(txn, meta));
    absl::StatusOr<bool> more = cursor.Seek(prefix);
    for (; more.ok() && *more && absl::StartsWith(cursor.key(), prefix);
         more = cursor.Next()) {
      std::string name(cursor.key().substr(prefix.size()));
      bool declared = false;
      for (const auto& index : table.indexes_)
        declared |= index.schema->name == name;
      if (!declared) dropped.push_back(name);
    }
    LMDBAPI_RETURN_IF_ERROR(more);
  }
  for (const std::string& name : dropped) {
    LMDBAPI_ASSIGN_OR_RETURN(
        MDB_dbi dbi, env_->OpenDatabase(txn, IndexDbName(table.name(), name)));
    LMDBAPI_RETURN_IF_MDB_ERROR(mdb_drop(txn, dbi, 1), "drop index");
    LMDBAPI_RETURN_IF_ERROR(
        DeleteKey(txn, meta, IndexMetaKey(table.name(), name)));
    LMDBAPI_RETURN_IF_ERROR(
        IndexBuilder::ForgetInTxn(txn, meta, table.name(), name));
    open_log_.push_back(
        absl::StrCat("dropped index ", IndexDbName(table.name(), name)));
  }
  return absl::OkStatus();
}

Database::~Database() {
  if (builder_ != nullptr) builder_->Stop();  // after its chunk under way
  if (writer_ != nullptr) writer_->Stop();
  tables_.clear();
  writer_.reset();
  env_.reset();
}

absl::StatusOr<std::vector<DatabaseStats>> Database::Stats() const {
  LMDBAPI_ASSIGN_OR_RETURN(Environment::ReadTxn txn, env_->BeginRead());
  std::vector<DatabaseStats> out;
  auto add = [&](const Table& table, std::string name,
                 MDB_dbi dbi) -> absl::Status {
    MDB_stat stat;
    LMDBAPI_RETURN_IF_MDB_ERROR(mdb_stat(txn.get(), dbi, &stat),
                                absl::StrCat("stat ", name));
    out.push_back({table.name(), std::move(name), stat.ms_entries,
                   uint64_t{stat.ms_branch_pages} + stat.ms_leaf_pages +
                       stat.ms_overflow_pages});
    return absl::OkStatus();
  };
  for (const auto& table : tables_) {
    LMDBAPI_RETURN_IF_ERROR(add(*table, table->name(), table->records_));
    for (const Table::Index& index : table->indexes_) {
      LMDBAPI_RETURN_IF_ERROR(add(
          *table, IndexDbName(table->name(), index.schema->name), index.dbi));
    }
  }
  return out;
}

Table* Database::table(absl::string_view name) const {
  for (const auto& t : tables_) {
    if (t->name() == name) return t.get();
  }
  return nullptr;
}

}  // namespace lmdbapi::storage
