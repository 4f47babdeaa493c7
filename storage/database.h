// A database: one LMDB environment holding the tables of one schema, their
// indexes, a meta database, and the group-commit writer they share.
//
// Layout (readable with mdb_stat -a and mdb_dump -a):
//   __lmdbapi_meta          format version, page-token secret, index
//   definitions <table>                 primary key -> deterministic proto
//   serialization <table>.idx.<index>     index entries (see index_key.h)
//
// Opening checks the format version and builds any index that is new or whose
// definition changed before the database is used; indexes that the schema no
// longer declares are dropped.
#ifndef LMDBAPI_STORAGE_DATABASE_H_
#define LMDBAPI_STORAGE_DATABASE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/dynamic_message.h"
#include "storage/environment.h"
#include "storage/page_token.h"
#include "storage/schema.h"
#include "storage/table.h"
#include "storage/writer.h"

namespace lmdbapi::storage {

struct DatabaseOptions {
  EnvOptions env;
  size_t max_batch = 1024;  // operations per group commit
  TableOptions table;
};

class Database {
 public:
  static absl::StatusOr<std::unique_ptr<Database>> Open(
      const DatabaseOptions& options, const std::vector<TableSpec>& tables);
  // Finishes queued writes, then closes the environment.
  ~Database();

  // The table named `name`, or nullptr.
  Table* table(absl::string_view name) const;
  const std::vector<std::unique_ptr<Table>>& tables() const { return tables_; }

  Environment& env() { return *env_; }
  Writer& writer() { return *writer_; }
  // What Open did beyond opening, e.g. "built index permits.idx.by_date".
  const std::vector<std::string>& open_log() const { return open_log_; }

 private:
  Database() = default;
  absl::Status OpenTables(const std::vector<TableSchema>& schemas);

  std::unique_ptr<Environment> env_;
  std::unique_ptr<Writer> writer_;
  std::unique_ptr<google::protobuf::DynamicMessageFactory> dynamic_factory_;
  std::vector<std::unique_ptr<Table>> tables_;
  TokenSecret secret_{};
  std::vector<std::string> open_log_;
};

}  // namespace lmdbapi::storage

#endif  // LMDBAPI_STORAGE_DATABASE_H_
