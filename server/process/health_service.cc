#include "server/process/health_service.h"

#include <utility>

#include "absl/time/time.h"
#include "grpcpp/ext/health_check_service_server_builder_option.h"

namespace lmdbapi::server {
namespace {

using grpc::health::v1::HealthCheckResponse;

// How often a Watch with nothing to send looks whether its caller left.
constexpr absl::Duration kWatchPoll = absl::Milliseconds(200);

HealthCheckResponse::ServingStatus StatusOf(bool serving) {
  return serving ? HealthCheckResponse::SERVING
                 : HealthCheckResponse::NOT_SERVING;
}

}  // namespace

// What the server owns as its health service: the process's calls to
// GetHealthCheckService()->... go to the HealthService.
class HealthService::Control final : public grpc::HealthCheckServiceInterface {
 public:
  explicit Control(HealthService* service) : service_(service) {}
  void SetServingStatus(const std::string& name, bool serving) override {
    service_->SetServingStatus(name, serving);
  }
  void SetServingStatus(bool serving) override {
    service_->SetServingStatus(serving);
  }
  void Shutdown() override { service_->Shutdown(); }

 private:
  HealthService* service_;
};

void HealthService::InstallIn(grpc::ServerBuilder& builder) {
  builder.SetOption(
      std::make_unique<grpc::HealthCheckServiceServerBuilderOption>(
          std::make_unique<Control>(this)));
  builder.RegisterService(this);
}

void HealthService::SetServingStatus(const std::string& service, bool serving) {
  absl::MutexLock lock(&mu_);
  if (shut_down_) return;
  statuses_[service] = StatusOf(serving);
  ++changes_;
}

void HealthService::SetServingStatus(bool serving) {
  absl::MutexLock lock(&mu_);
  if (shut_down_) return;
  for (auto& [name, status] : statuses_) status = StatusOf(serving);
  ++changes_;
}

void HealthService::Shutdown() {
  absl::MutexLock lock(&mu_);
  for (auto& [name, status] : statuses_) status = StatusOf(false);
  shut_down_ = true;
  ++changes_;
}

grpc::Status HealthService::Check(
    grpc::ServerContext* /*context*/,
    const grpc::health::v1::HealthCheckRequest* request, Response* response) {
  absl::MutexLock lock(&mu_);
  auto found = statuses_.find(request->service());
  if (found == statuses_.end()) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "service unknown");
  }
  response->set_status(found->second);
  return grpc::Status::OK;
}

grpc::Status HealthService::Watch(
    grpc::ServerContext* context,
    const grpc::health::v1::HealthCheckRequest* request,
    grpc::ServerWriter<Response>* writer) {
  bool first = true;
  Response::ServingStatus sent = HealthCheckResponse::UNKNOWN;
  uint64_t seen = 0;
  while (!context->IsCancelled()) {
    Response response;
    bool shut_down = false;
    {
      absl::MutexLock lock(&mu_);
      // Until a change, or a while: then the caller is looked at again.
      auto changed = [this, &seen]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return changes_ != seen;
      };
      if (!first) mu_.AwaitWithTimeout(absl::Condition(&changed), kWatchPoll);
      seen = changes_;
      auto found = statuses_.find(request->service());
      response.set_status(found == statuses_.end()
                              ? HealthCheckResponse::SERVICE_UNKNOWN
                              : found->second);
      shut_down = shut_down_;
    }
    if (first || response.status() != sent) {
      if (!writer->Write(response)) break;  // the caller left
      sent = response.status();
      first = false;
    }
    if (shut_down) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                          "the server is shutting down");
    }
  }
  return grpc::Status::OK;
}

}  // namespace lmdbapi::server
