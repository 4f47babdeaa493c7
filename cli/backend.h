// What the `lmdbapi` subcommands work on: a data directory (LocalBackend,
// through the storage library and the schema the directory records) or a
// running server (RemoteBackend, through gRPC and server reflection). Each
// subcommand is written once against this interface.
//
// Records are dynamic messages of the descriptors the backend found (the
// stored schema, or the server's reflection); results of the
// administrative calls are the Admin service's messages in both cases.
#ifndef LMDBAPI_CLI_BACKEND_H_
#define LMDBAPI_CLI_BACKEND_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "cli/progress.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "proto/lmdbapi/admin.pb.h"

namespace lmdbapi::cli {

struct TableInfo {
  std::string name;     // the collection: "permits"
  std::string service;  // its gRPC service: "lmdbapi.examples.permits.Permits"
  const google::protobuf::Descriptor* record = nullptr;
  std::string primary_key;  // the key field's name: "uuid"
  std::string parent;       // the parent table, or empty
  std::string parent_key;   // the field holding the parent's key, or empty
};

struct ListOptions {
  std::string filter;    // AIP-160, as the Filter RPC's
  std::string order_by;  // AIP-132
  // A child table's parent's key (empty: all parents); only for a table
  // with a parent_key.
  std::string parent;
  size_t page_size = 0;  // per call; 0: the server's default
  uint64_t limit = 0;    // most records in all; 0: every match
};

struct CountAnswer {
  uint64_t count = 0;  // records that match
  std::string plan;    // how they were counted: index ranges or a full scan
};

// Called with each record; an error stops the walk and is returned.
using RecordSink = absl::FunctionRef<absl::Status(
    const TableInfo&, const google::protobuf::Message&)>;

// Called with each exported record, serialized; an error stops the export
// and is returned.
using SerializedSink =
    absl::FunctionRef<absl::Status(const TableInfo&, absl::string_view record)>;

// Records to import, read one at a time (a file of NDJSON or length-
// delimited binary). Next() sets `record` to the next record, serialized
// (it parses as the table's message), and its 1-based `line` (the record's
// number in a binary file), and returns true, false at the end, or
// INVALID_ARGUMENT "line N: field F: ..." for a record it cannot read.
class RecordSource {
 public:
  virtual ~RecordSource() = default;
  virtual absl::StatusOr<bool> Next(std::string* record, uint64_t* line) = 0;
  virtual uint64_t bytes_read() const = 0;
  virtual uint64_t bytes_total() const = 0;
};

struct ImportOptions {
  bool skip_bad = false;  // skip (and report) bad records instead of stopping
  // Records per write transaction (a data directory) or per Import request
  // (a server); 0: the backend's default (65,536 and 1,000).
  size_t batch = 0;
};

struct ImportResult {
  uint64_t imported = 0;
  uint64_t revision = 0;  // the revision of the last batch
  // Each skipped record: its line and why ("line 7: field fee_cents: ...");
  // a server lists the first 1000 only.
  std::vector<std::pair<uint64_t, std::string>> skipped;
  // How many were skipped (more than `skipped` holds when a server listed
  // only the first).
  uint64_t skipped_count = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;

  virtual const std::vector<TableInfo>& tables() const = 0;
  // The table named `name` (collection or service's short name), or
  // NOT_FOUND listing the tables there are.
  absl::StatusOr<const TableInfo*> FindTable(const std::string& name) const;
  // A new, empty record of `table`.
  virtual std::unique_ptr<google::protobuf::Message> NewRecord(
      const TableInfo& table) const = 0;

  virtual absl::Status Get(const TableInfo& table, const std::string& key,
                           google::protobuf::Message* record) = 0;
  // Inserts `record`, or replaces the record with its key when one exists;
  // `record` becomes what was stored (key, revision, times).
  virtual absl::Status Put(const TableInfo& table,
                           google::protobuf::Message* record) = 0;
  virtual absl::Status Delete(const TableInfo& table,
                              const std::string& key) = 0;
  virtual absl::Status List(const TableInfo& table, const ListOptions& options,
                            RecordSink sink) = 0;
  // The records that match options.filter (AIP-160, as the Count RPC's;
  // empty: every record) and options.parent, counted from index entries
  // alone when the plan can; the order, page and limit play no part.
  virtual absl::StatusOr<CountAnswer> Count(const TableInfo& table,
                                            const ListOptions& options) = 0;
  // Each change from `from_revision` (0: from now) until the sink fails or
  // `max_changes` (0: no bound) were seen. The sink gets the record (after
  // the change; a delete's: as it was) and its change type in `type`
  // ("INSERT", "UPDATE", "DELETE").
  virtual absl::Status Watch(
      const TableInfo& table, const std::string& filter, uint64_t from_revision,
      uint64_t max_changes,
      absl::FunctionRef<absl::Status(const std::string& type,
                                     const google::protobuf::Message&)>
          sink) = 0;
  // Every record of `tables` from one snapshot, parents before children;
  // returns the snapshot's revision.
  virtual absl::StatusOr<uint64_t> Export(
      const std::vector<const TableInfo*>& tables, SerializedSink sink,
      Progress* progress) = 0;
  // Durable when it returns. On a bad record without skip_bad: stores
  // exactly the records before it and returns INVALID_ARGUMENT naming its
  // line and field.
  virtual absl::StatusOr<ImportResult> Import(const TableInfo& table,
                                              RecordSource& source,
                                              const ImportOptions& options,
                                              Progress* progress) = 0;

  virtual absl::StatusOr<admin::v1::StatResponse> Stat() = 0;
  virtual absl::StatusOr<admin::v1::VerifyResponse> Verify(
      Progress* progress) = 0;
  // Starts the rebuild and, with `progress`, reports it until it is done.
  virtual absl::StatusOr<admin::v1::RebuildResponse> Rebuild(
      const std::string& table, const std::string& index,
      Progress* progress) = 0;
  // A compacted copy into `destination` (local: a new directory; remote:
  // the backup's name under the server's --backup_dir).
  virtual absl::StatusOr<admin::v1::BackupResponse> Backup(
      const std::string& destination, Progress* progress) = 0;
  // The schema as .proto text (the stored schema, or by reflection).
  virtual absl::StatusOr<std::string> Schema() = 0;
};

}  // namespace lmdbapi::cli

#endif  // LMDBAPI_CLI_BACKEND_H_
