#include "cli/local_backend.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "model/model.h"

namespace lmdbapi::cli {

using google::protobuf::Message;

namespace {

// How the command opens a directory: as the server would (the map grows as
// needed), never creating one.
storage::DatabaseOptions OptionsFor(const std::string& data_dir,
                                    bool writable) {
  storage::DatabaseOptions options;
  options.env.path = data_dir;
  options.env.create_directory = false;
  options.env.max_map_size_bytes = uint64_t{1} << 40;
  options.read_only = !writable;
  // An offline tool has nothing to serve meanwhile: open builds whatever
  // the schema changed before it returns.
  options.build_indexes_online = false;
  return options;
}

std::vector<TableInfo> TablesOf(const model::SchemaModel& model) {
  std::vector<TableInfo> tables;
  for (const model::TableModel& t : model.tables) {
    TableInfo info;
    info.name = t.collection;
    info.service = model.FullName(t.service());
    info.record = t.message;
    if (t.primary_key != nullptr) info.primary_key = t.primary_key->name();
    if (!t.is_main()) info.parent = model.tables[t.parent].collection;
    if (t.parent_key != nullptr) info.parent_key = t.parent_key->name();
    tables.push_back(std::move(info));
  }
  return tables;
}

// The string value of `record`'s field `name`.
std::string StringField(const Message& record, const std::string& name) {
  const auto* field = record.GetDescriptor()->FindFieldByName(name);
  if (field == nullptr) return "";
  return record.GetReflection()->GetString(record, field);
}

// `status`, its message naming `data_dir` when it does not yet.
absl::Status Naming(const std::string& data_dir, const absl::Status& status) {
  if (absl::StrContains(status.message(), data_dir)) return status;
  return absl::Status(status.code(),
                      absl::StrCat(data_dir, ": ", status.message()));
}

}  // namespace

absl::StatusOr<std::unique_ptr<LocalBackend>> LocalBackend::Open(
    const std::string& data_dir, bool writable) {
  std::unique_ptr<LocalBackend> backend(new LocalBackend);
  backend->data_dir_ = data_dir;
  // Before the schema is read (read-only): an import that stopped before
  // its last batches were synced is rolled back, as a writable open does.
  if (writable) {
    absl::StatusOr<bool> rolled = storage::RollBackIfInterrupted(data_dir);
    if (!rolled.ok()) return Naming(data_dir, rolled.status());
  }
  absl::StatusOr<storage::StoredSchema> schema =
      storage::ReadStoredSchema(data_dir);
  if (!schema.ok()) return Naming(data_dir, schema.status());
  backend->schema_ = *std::move(schema);
  LMDBAPI_ASSIGN_OR_RETURN(model::SchemaModel model,
                           model::ModelOf(backend->schema_.file));
  backend->tables_ = TablesOf(model);
  absl::StatusOr<std::unique_ptr<storage::Database>> db =
      storage::Database::Open(OptionsFor(data_dir, writable),
                              backend->schema_.tables);
  if (!db.ok()) return Naming(data_dir, db.status());
  backend->db_ = *std::move(db);
  return backend;
}

// The database closes (finishing its writes) before the schema it uses.
LocalBackend::~LocalBackend() { db_.reset(); }

storage::Table* LocalBackend::TableOf(const TableInfo& table) const {
  return db_->table(table.name);
}

std::unique_ptr<Message> LocalBackend::NewRecord(const TableInfo& table) const {
  return std::unique_ptr<Message>(
      schema_.factory->GetPrototype(table.record)->New());
}

absl::Status LocalBackend::Get(const TableInfo& table, const std::string& key,
                               Message* record) {
  return TableOf(table)->Get(key, record);
}

absl::Status LocalBackend::Put(const TableInfo& table, Message* record) {
  storage::Table* t = TableOf(table);
  std::string key = StringField(*record, table.primary_key);
  std::unique_ptr<Message> stored = NewRecord(table);
  absl::Status found =
      key.empty() ? absl::NotFoundError("") : t->Get(key, stored.get());
  if (found.ok()) {
    LMDBAPI_RETURN_IF_ERROR(t->Update(*record));
  } else if (absl::IsNotFound(found)) {
    LMDBAPI_RETURN_IF_ERROR(t->Insert(record));
    key = StringField(*record, table.primary_key);
  } else {
    return found;
  }
  return t->Get(key, record);
}

absl::Status LocalBackend::Delete(const TableInfo& table,
                                  const std::string& key) {
  return TableOf(table)->Delete(key);
}

namespace {

// The query of `options`' filter and parent (and order and page size).
storage::Query QueryOf(const TableInfo& table, const ListOptions& options) {
  storage::Query query;
  query.filter = options.filter;
  query.order_by = options.order_by;
  query.page_size = options.page_size;
  if (!options.parent.empty()) {
    query.predicates.push_back(
        {table.parent_key, storage::Op::kEq, options.parent});
  }
  return query;
}

}  // namespace

absl::Status LocalBackend::List(const TableInfo& table,
                                const ListOptions& options, RecordSink sink) {
  storage::Query query = QueryOf(table, options);
  uint64_t seen = 0;
  std::vector<std::unique_ptr<Message>> page;
  do {
    page.clear();
    LMDBAPI_ASSIGN_OR_RETURN(storage::FilterResult result,
                             TableOf(table)->Filter(query, [&]() {
                               page.push_back(NewRecord(table));
                               return page.back().get();
                             }));
    for (const auto& record : page) {
      if (options.limit != 0 && seen == options.limit) return absl::OkStatus();
      LMDBAPI_RETURN_IF_ERROR(sink(table, *record));
      ++seen;
    }
    query.page_token = result.next_page_token;
  } while (!query.page_token.empty());
  return absl::OkStatus();
}

absl::StatusOr<CountAnswer> LocalBackend::Count(const TableInfo& table,
                                                const ListOptions& options) {
  LMDBAPI_ASSIGN_OR_RETURN(storage::CountResult result,
                           TableOf(table)->Count(QueryOf(table, options)));
  return CountAnswer{result.count,
                     result.plan == nullptr ? "" : result.plan->description};
}

absl::StatusOr<std::string> LocalBackend::Schema() {
  return schema_.file->DebugString();
}

}  // namespace lmdbapi::cli
