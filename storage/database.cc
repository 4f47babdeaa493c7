#include "storage/database.h"

#include <tuple>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "base/status_macros.h"
#include "storage/checkpoint_file.h"
#include "storage/index_builder.h"
#include "storage/lmdb.h"
#include "storage/record_version.h"
#include "storage/schema_change.h"
#include "storage/secure_random.h"
#include "storage/status.h"
#include "storage/stored_schema.h"

namespace lmdbapi::storage {
namespace {

constexpr char kChangesDb[] = "__changes";
constexpr char kFormatKey[] = "format_version";
// 2: records stored with their version (storage/stored_record.h). A
// directory of format 1 is read as it is and marked 2 when opened for
// writing, so that a build that reads only 1 refuses it from then on.
constexpr char kFormatVersion[] = "2";
constexpr char kOldFormatVersion[] = "1";
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
  LMDBAPI_ASSIGN_OR_RETURN(std::string record, EncodeStoredSchema(tables));
  // Meta and change log + two per table (records, versions) + one per index.
  size_t dbs = 2;
  for (const TableSchema& t : schemas) dbs += 2 + t.indexes.size();
  DatabaseOptions opts = options;
  opts.env.max_dbs = std::max<unsigned>(opts.env.max_dbs, dbs + 8);
  opts.env.read_only = opts.read_only;

  std::unique_ptr<Database> db(new Database());
  db->read_only_ = opts.read_only;
  LMDBAPI_ASSIGN_OR_RETURN(db->env_, Environment::Open(opts.env));
  LMDBAPI_ASSIGN_OR_RETURN(bool changed,
                           db->CheckStoredSchema(schemas, record));
  if (!changed || opts.read_only) record.clear();
  absl::Status status = db->OpenTables(schemas, opts, record);
  // Opening may build indexes; a full map there grows it like the writer.
  while (IsMapFull(status)) {
    LMDBAPI_RETURN_IF_ERROR(db->env_->GrowMap());
    db->builder_.reset();
    db->tables_.clear();
    db->open_log_.clear();
    status = db->OpenTables(schemas, opts, record);
  }
  LMDBAPI_RETURN_IF_ERROR(status);
  if (db->env_->rolled_back()) {
    db->open_log_.push_back(absl::StrCat(
        "rolled back to the last synced commit (", kCheckpointFile,
        "): an import's batches after it are undone, or on a replica the "
        "log entries after it, which its log applies again"));
  }
  db->writer_ = std::make_unique<Writer>(db->env_.get(), opts.max_batch,
                                         opts.max_queued_writes);
  for (auto& table : db->tables_) {
    table->writer_ = db->writer_.get();
    table->options_ = opts.table;
    table->builder_ = db->builder_.get();
  }
  db->builder_->set_writer(db->writer_.get());
  LMDBAPI_RETURN_IF_ERROR(db->TrackRevision());
  if (opts.read_only) return db;  // builds wait for a writable open
  db->builder_->Start();
  if (!opts.build_indexes_online) {
    LMDBAPI_RETURN_IF_ERROR(db->WaitForIndexBuilds());
  }
  return db;
}

absl::StatusOr<bool> Database::CheckStoredSchema(
    const std::vector<TableSchema>& schemas, absl::string_view record) {
  LMDBAPI_ASSIGN_OR_RETURN(Txn txn, Txn::BeginRead(env_->raw()));
  MDB_dbi meta;
  int rc = mdb_dbi_open(txn.get(), kMetaDb, 0, &meta);
  if (rc == MDB_NOTFOUND) return true;  // a new directory
  LMDBAPI_RETURN_IF_MDB_ERROR(rc, "open __lmdbapi_meta");
  absl::StatusOr<absl::string_view> stored =
      GetValue(txn.get(), meta, kStoredSchemaKey);
  if (absl::IsNotFound(stored.status())) return true;  // recorded by no open
  LMDBAPI_RETURN_IF_ERROR(stored.status());
  if (*stored == record) return false;
  absl::StatusOr<StoredSchema> before = DecodeStoredSchema(*stored);
  if (!before.ok()) {
    return absl::Status(before.status().code(),
                        absl::StrCat("data directory '", env_->options().path,
                                     "': ", before.status().message()));
  }
  LMDBAPI_ASSIGN_OR_RETURN(std::vector<TableSchema> stored_schemas,
                           ResolveSchema(before->tables));
  auto records = [&](const TableSchema& table) -> absl::StatusOr<uint64_t> {
    MDB_dbi dbi;
    int rc = mdb_dbi_open(txn.get(), table.name.c_str(), 0, &dbi);
    if (rc == MDB_NOTFOUND) return 0;
    LMDBAPI_RETURN_IF_MDB_ERROR(rc, absl::StrCat("open ", table.name));
    MDB_stat stat;
    LMDBAPI_RETURN_IF_MDB_ERROR(mdb_stat(txn.get(), dbi, &stat),
                                absl::StrCat("stat ", table.name));
    return uint64_t{stat.ms_entries};
  };
  LMDBAPI_RETURN_IF_ERROR(CheckSchemaChange(stored_schemas, schemas, records,
                                            env_->options().path));
  return true;
}

absl::Status Database::LoadOrMakeSecret(MDB_txn* txn, MDB_dbi meta,
                                        bool rotate) {
  absl::StatusOr<absl::string_view> stored = GetValue(txn, meta, kSecretKey);
  if (!rotate && stored.ok() && stored->size() == secret_.size()) {
    std::copy(stored->begin(), stored->end(), secret_.begin());
    return absl::OkStatus();
  }
  LMDBAPI_RETURN_IF_ERROR(SecureRandom(absl::MakeSpan(secret_)));
  if (read_only_) return absl::OkStatus();  // this run's tokens only
  return PutValue(
      txn, meta, kSecretKey,
      absl::string_view(reinterpret_cast<const char*>(secret_.data()),
                        secret_.size()));
}

absl::Status Database::OpenTables(const std::vector<TableSchema>& schemas,
                                  const DatabaseOptions& opts,
                                  absl::string_view record) {
  LMDBAPI_ASSIGN_OR_RETURN(Txn txn,
                           read_only_ ? Txn::BeginRead(env_->raw())
                                      : Txn::BeginWrite(env_->raw(), nullptr));
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
  meta_ = meta;
  LinkTables();
  for (auto& table : tables_) {
    if (read_only_) {
      LMDBAPI_RETURN_IF_ERROR(CheckIndexesBuiltInTxn(txn.get(), meta, *table));
      continue;
    }
    LMDBAPI_RETURN_IF_ERROR(BuildIndexesInTxn(txn.get(), meta, *table));
    LMDBAPI_RETURN_IF_ERROR(DropIndexesInTxn(txn.get(), meta, *table));
  }
  std::vector<Table*> tables;
  for (auto& table : tables_) tables.push_back(table.get());
  builder_ = std::make_unique<IndexBuilder>(
      meta, std::move(tables), opts.index_build_share,
      opts.index_build_chunk_records, opts.index_build_nice);
  builder_->set_before_write(opts.before_index_chunk_write);
  LMDBAPI_RETURN_IF_ERROR(builder_->Load(txn.get()));
  if (!record.empty()) {
    LMDBAPI_RETURN_IF_ERROR(
        PutValue(txn.get(), meta, kStoredSchemaKey, record));
    open_log_.push_back(absl::StrCat("recorded the schema (",
                                     schemas[0].descriptor->file()->name(),
                                     ") in ", kMetaDb));
  }
  return txn.Commit();  // read-only: keeps the database handles
}

absl::StatusOr<MDB_dbi> Database::OpenMetaInTxn(MDB_txn* txn) {
  LMDBAPI_ASSIGN_OR_RETURN(MDB_dbi meta, env_->OpenDatabase(txn, kMetaDb));
  absl::StatusOr<absl::string_view> format = GetValue(txn, meta, kFormatKey);
  if (format.ok() && *format != kFormatVersion &&
      *format != kOldFormatVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        "data directory '", env_->options().path, "' has format version ",
        *format, "; this build reads versions ", kOldFormatVersion, " and ",
        kFormatVersion));
  }
  if (!format.ok() && !absl::IsNotFound(format.status())) {
    return format.status();
  }
  if (!read_only_ && (!format.ok() || *format != kFormatVersion)) {
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
    table->database_ = this;
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

absl::Status Database::CheckIndexesBuiltInTxn(MDB_txn* txn, MDB_dbi meta,
                                              const Table& table) const {
  for (const Table::Index& index : table.indexes_) {
    absl::StatusOr<absl::string_view> stored =
        GetValue(txn, meta, IndexMetaKey(table.name(), index.schema->name));
    if (stored.ok() && *stored == index.schema->Definition()) continue;
    return absl::FailedPreconditionError(absl::StrCat(
        "index ", IndexDbName(table.name(), index.schema->name),
        " is not built in '", env_->options().path,
        "' as the schema defines it, and a read-only open cannot build it: "
        "open the directory for writing once (start its server) with this "
        "schema, or use the schema the directory records"));
  }
  return absl::OkStatus();
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

namespace {

absl::StatusOr<std::pair<uint64_t, uint64_t>> EntriesAndPages(MDB_txn* txn,
                                                              MDB_dbi dbi) {
  MDB_stat stat;
  LMDBAPI_RETURN_IF_MDB_ERROR(mdb_stat(txn, dbi, &stat), "stat");
  return std::make_pair(uint64_t{stat.ms_entries},
                        uint64_t{stat.ms_branch_pages} + stat.ms_leaf_pages +
                            stat.ms_overflow_pages);
}

const IndexBuildProgress* BuildOf(const std::vector<IndexBuildProgress>& all,
                                  const std::string& table,
                                  const std::string& index) {
  for (const IndexBuildProgress& build : all) {
    if (build.table == table && build.index == index) return &build;
  }
  return nullptr;
}

}  // namespace

absl::StatusOr<DatabaseStat> Database::Stat() const {
  std::vector<IndexBuildProgress> builds = IndexBuilds();
  DatabaseStat out;
  LMDBAPI_ASSIGN_OR_RETURN(Environment::ReadTxn txn, env_->BeginRead());
  for (const auto& table : tables_) {
    TableStat t;
    t.name = table->name();
    LMDBAPI_ASSIGN_OR_RETURN(std::tie(t.records, t.pages),
                             EntriesAndPages(txn.get(), table->records_));
    for (const Table::Index& index : table->indexes_) {
      IndexStat i;
      i.name = index.schema->name;
      LMDBAPI_ASSIGN_OR_RETURN(std::tie(i.entries, i.pages),
                               EntriesAndPages(txn.get(), index.dbi));
      const IndexBuildProgress* build = BuildOf(builds, t.name, i.name);
      if (build != nullptr) i.build = *build;
      i.build.table = t.name;
      i.build.index = i.name;
      t.indexes.push_back(std::move(i));
    }
    out.tables.push_back(std::move(t));
  }
  if (!tables_.empty()) {
    LMDBAPI_ASSIGN_OR_RETURN(out.revision,
                             CurrentRevision(txn.get(), tables_[0]->meta_));
  }
  out.map = env_->Info();
  return out;
}

absl::StatusOr<VerifyReport> Database::Verify(
    const std::function<void(uint64_t records)>& on_table) const {
  std::vector<IndexBuildProgress> builds = IndexBuilds();
  VerifyReport out;
  LMDBAPI_ASSIGN_OR_RETURN(Environment::ReadTxn txn, env_->BeginRead());
  for (const auto& table : tables_) {
    auto ready = [&](const IndexSchema& index) {
      const IndexBuildProgress* build =
          BuildOf(builds, table->name(), index.name);
      return build == nullptr || build->state == IndexState::kReady;
    };
    for (const IndexSchema& index : table->schema().indexes) {
      if (!ready(index)) {
        out.building.push_back(absl::StrCat(table->name(), ".", index.name));
      }
    }
    IndexReport report;
    LMDBAPI_RETURN_IF_ERROR(
        table->VerifyIndexesInTxn(txn.get(), ready, &report));
    out.records += report.records;
    out.entries += report.entries;
    for (const IndexMismatch& m : report.mismatches) {
      out.mismatches.push_back(
          absl::StrCat(table->name(), ": ", m.DebugString()));
    }
    if (on_table) on_table(out.records);
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
