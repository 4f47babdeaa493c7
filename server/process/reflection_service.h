// gRPC server reflection (grpc.reflection.v1alpha, what grpcurl speaks),
// answered from the process's generated descriptor pool. lmdbapi serves its
// own rather than gRPC's plugin so that, with credentials configured
// (--auth_token, --jwks_file, --auth_policy), reflection asks for them like
// the tables do (or stays open with --open_reflection). Any authenticated
// identity may reflect: the schema is no table's data.
#ifndef LMDBAPI_SERVER_PROCESS_REFLECTION_SERVICE_H_
#define LMDBAPI_SERVER_PROCESS_REFLECTION_SERVICE_H_

#include <string>
#include <vector>

#include "grpc_reflection_v1alpha/reflection.grpc.pb.h"
#include "server/access/access.h"

namespace lmdbapi::server {

class ReflectionService final
    : public grpc::reflection::v1alpha::ServerReflection::Service {
 public:
  // `services`: the full names list_services answers. `access` (nullptr or
  // disabled: open) must authenticate a stream before it is answered.
  ReflectionService(std::vector<std::string> services,
                    const access::Access* access)
      : services_(std::move(services)), access_(access) {}

  grpc::Status ServerReflectionInfo(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<
          grpc::reflection::v1alpha::ServerReflectionResponse,
          grpc::reflection::v1alpha::ServerReflectionRequest>* stream) override;

 private:
  std::vector<std::string> services_;
  const access::Access* access_;
};

}  // namespace lmdbapi::server

#endif  // LMDBAPI_SERVER_PROCESS_REFLECTION_SERVICE_H_
