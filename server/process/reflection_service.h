// gRPC server reflection (grpc.reflection.v1alpha, what grpcurl speaks),
// answered from the process's generated descriptor pool. lmdbapi serves its
// own rather than gRPC's plugin so that, with --auth_token, reflection asks
// for the token like the tables do (or stays open with --open_reflection).
#ifndef LMDBAPI_SERVER_PROCESS_REFLECTION_SERVICE_H_
#define LMDBAPI_SERVER_PROCESS_REFLECTION_SERVICE_H_

#include <string>
#include <vector>

#include "grpc_reflection_v1alpha/reflection.grpc.pb.h"
#include "server/table/auth.h"

namespace lmdbapi::server {

class ReflectionService final
    : public grpc::reflection::v1alpha::ServerReflection::Service {
 public:
  // `services`: the full names list_services answers. `auth` (nullptr: open)
  // must accept a stream before it is answered.
  ReflectionService(std::vector<std::string> services, const BearerAuth* auth)
      : services_(std::move(services)), auth_(auth) {}

  grpc::Status ServerReflectionInfo(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<
          grpc::reflection::v1alpha::ServerReflectionResponse,
          grpc::reflection::v1alpha::ServerReflectionRequest>* stream) override;

 private:
  std::vector<std::string> services_;
  const BearerAuth* auth_;
};

}  // namespace lmdbapi::server

#endif  // LMDBAPI_SERVER_PROCESS_REFLECTION_SERVICE_H_
