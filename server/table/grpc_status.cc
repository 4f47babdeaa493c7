#include "server/table/grpc_status.h"

#include <string>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "proto/lmdbapi/error_info.pb.h"
#include "server/table/error_details.h"
#include "storage/status.h"

namespace lmdbapi::server {
namespace {

// The google.rpc.Status of `status`, its details included.
google::rpc::Status RpcStatus(int code, const absl::Status& status) {
  google::rpc::Status rpc;
  rpc.set_code(code);
  rpc.set_message(std::string(status.message()));
  google::rpc::ErrorInfo info;
  info.set_reason(ReasonFor(status));
  info.set_domain(std::string(kErrorDomain));
  if (std::string leader = storage::LeaderOf(status); !leader.empty()) {
    (*info.mutable_metadata())["leader"] = leader;
  }
  rpc.add_details()->PackFrom(info);
  std::string field = FieldOf(status.message());
  if (!field.empty()) {
    google::rpc::BadRequest bad;
    auto* violation = bad.add_field_violations();
    violation->set_field(field);
    violation->set_description(std::string(status.message()));
    rpc.add_details()->PackFrom(bad);
  }
  return rpc;
}

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  auto code = static_cast<grpc::StatusCode>(status.code());
  if (status.code() == absl::StatusCode::kUnknown)
    code = grpc::StatusCode::INTERNAL;
  return grpc::Status(code, std::string(status.message()),
                      RpcStatus(code, status).SerializeAsString());
}

}  // namespace lmdbapi::server
