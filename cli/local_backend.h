// The data-directory backend of the `lmdbapi` command: the storage library
// on a data directory, with the schema the directory records
// (storage/stored_schema.h), so no .proto is needed. Read-only subcommands
// open it read-only (no write transaction; a read-only mount will do).
#ifndef LMDBAPI_CLI_LOCAL_BACKEND_H_
#define LMDBAPI_CLI_LOCAL_BACKEND_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/backend.h"
#include "storage/database.h"
#include "storage/stored_schema.h"

namespace lmdbapi::cli {

class LocalBackend : public Backend {
 public:
  // Opens the data directory `data_dir` (which must hold a database),
  // read-only unless `writable`.
  static absl::StatusOr<std::unique_ptr<LocalBackend>> Open(
      const std::string& data_dir, bool writable);
  ~LocalBackend() override;

  const std::vector<TableInfo>& tables() const override { return tables_; }
  std::unique_ptr<google::protobuf::Message> NewRecord(
      const TableInfo& table) const override;

  absl::Status Get(const TableInfo& table, const std::string& key,
                   google::protobuf::Message* record) override;
  absl::Status Put(const TableInfo& table,
                   google::protobuf::Message* record) override;
  absl::Status Delete(const TableInfo& table, const std::string& key) override;
  absl::Status List(const TableInfo& table, const ListOptions& options,
                    RecordSink sink) override;
  absl::StatusOr<CountAnswer> Count(const TableInfo& table,
                                    const ListOptions& options) override;
  // Follows the directory's change log (written by whoever writes to it,
  // e.g. a server), polling it ten times a second (cli/local_watch.cc).
  // Closes the database first: a lone reader keeps writers out
  // (storage/environment.h), so each poll opens the directory only while it
  // reads.
  absl::Status Watch(
      const TableInfo& table, const std::string& filter, uint64_t from_revision,
      uint64_t max_changes,
      absl::FunctionRef<absl::Status(const std::string& type,
                                     const google::protobuf::Message&)>
          sink) override;
  // Records as stored, without the server-maintained fields (revision and
  // times), which an import sets anew.
  absl::StatusOr<uint64_t> Export(const std::vector<const TableInfo*>& tables,
                                  SerializedSink sink,
                                  Progress* progress) override;
  absl::StatusOr<ImportResult> Import(const TableInfo& table,
                                      RecordSource& source,
                                      const ImportOptions& options,
                                      Progress* progress) override;

  absl::StatusOr<admin::v1::StatResponse> Stat() override;
  absl::StatusOr<admin::v1::VerifyResponse> Verify(Progress* progress) override;
  absl::StatusOr<admin::v1::RebuildResponse> Rebuild(
      const std::string& table, const std::string& index,
      Progress* progress) override;
  // `destination`: a new directory (or an empty one).
  absl::StatusOr<admin::v1::BackupResponse> Backup(
      const std::string& destination, Progress* progress) override;
  absl::StatusOr<std::string> Schema() override;

 private:
  LocalBackend() = default;
  storage::Table* TableOf(const TableInfo& table) const;
  // Reports the builds of `started` ("permits.by_county") until none is
  // building.
  absl::Status FollowBuilds(const std::vector<std::string>& started,
                            Progress* progress);

  std::string data_dir_;
  storage::StoredSchema schema_;
  std::unique_ptr<storage::Database> db_;
  std::vector<TableInfo> tables_;
};

}  // namespace lmdbapi::cli

#endif  // LMDBAPI_CLI_LOCAL_BACKEND_H_
