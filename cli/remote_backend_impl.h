// The Backend of a running server (cli/remote_backend.h), its parts in
// remote_backend.cc (records), remote_transfer.cc (export, import) and
// remote_admin.cc (stat, verify, rebuild, backup). Not for use elsewhere:
// OpenRemoteBackend() makes one.
#ifndef LMDBAPI_CLI_REMOTE_BACKEND_IMPL_H_
#define LMDBAPI_CLI_REMOTE_BACKEND_IMPL_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cli/backend.h"
#include "cli/dynamic_call.h"
#include "cli/reflection_client.h"
#include "proto/lmdbapi/admin.grpc.pb.h"

namespace lmdbapi::cli {

class RemoteBackend : public Backend {
 public:
  RemoteBackend(std::unique_ptr<Connection> connection,
                std::unique_ptr<ReflectionClient> reflection,
                std::vector<TableInfo> tables)
      : connection_(std::move(connection)),
        reflection_(std::move(reflection)),
        tables_(std::move(tables)),
        admin_(admin::v1::Admin::NewStub(connection_->channel())) {}

  const std::vector<TableInfo>& tables() const override { return tables_; }
  std::unique_ptr<google::protobuf::Message> NewRecord(
      const TableInfo& table) const override {
    return New(table.record);
  }

  absl::Status Get(const TableInfo& table, const std::string& key,
                   google::protobuf::Message* record) override;
  absl::Status Put(const TableInfo& table,
                   google::protobuf::Message* record) override;
  absl::Status Delete(const TableInfo& table, const std::string& key) override;
  absl::Status List(const TableInfo& table, const ListOptions& options,
                    RecordSink sink) override;
  absl::StatusOr<CountAnswer> Count(const TableInfo& table,
                                    const ListOptions& options) override;
  absl::Status Watch(const TableInfo& table, const std::string& filter,
                     uint64_t from_revision, uint64_t max_changes,
                     absl::FunctionRef<absl::Status(
                         const std::string&, const google::protobuf::Message&)>
                         sink) override;
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
  absl::StatusOr<admin::v1::BackupResponse> Backup(
      const std::string& destination, Progress* progress) override;
  absl::StatusOr<std::string> Schema() override;

 private:
  std::unique_ptr<google::protobuf::Message> New(
      const google::protobuf::Descriptor* type) const {
    return std::unique_ptr<google::protobuf::Message>(
        reflection_->factory()->GetPrototype(type)->New());
  }
  // Calls the table's unary `method` with the request `fill` makes.
  absl::StatusOr<std::unique_ptr<google::protobuf::Message>> Unary(
      const TableInfo& table, const std::string& method,
      absl::FunctionRef<void(google::protobuf::Message*)> fill);
  absl::Status Write(const TableInfo& table, const std::string& method,
                     google::protobuf::Message* record);
  absl::StatusOr<uint64_t> Count(const TableInfo& table);
  absl::StatusOr<uint64_t> ExportTable(const TableInfo& table,
                                       SerializedSink sink, Progress* progress);
  template <typename Request, typename Response, typename Call>
  absl::StatusOr<Response> Admin(const char* name, const Request& request,
                                 Call call);
  absl::Status WaitForBuilds(const admin::v1::RebuildResponse& started,
                             Progress* progress);

  std::unique_ptr<Connection> connection_;
  std::unique_ptr<ReflectionClient> reflection_;
  std::vector<TableInfo> tables_;
  std::unique_ptr<admin::v1::Admin::Stub> admin_;
};

}  // namespace lmdbapi::cli

#endif  // LMDBAPI_CLI_REMOTE_BACKEND_IMPL_H_
