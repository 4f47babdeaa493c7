// Bearer-token authentication of the table services: a call must carry the
// metadata "authorization: Bearer <token>" (what the gateway forwards from
// the HTTP Authorization header). Admin calls need it too, except
// Admin/Metrics, open like health (Prometheus scrapers and the gateway's
// GET /metrics send no tokens; it reveals counts, no records); reflection
// needs it unless --open_reflection; health is always open (probes send no
// tokens).
#ifndef LMDBAPI_SERVER_TABLE_AUTH_H_
#define LMDBAPI_SERVER_TABLE_AUTH_H_

#include <string>

#include "absl/status/status.h"
#include "grpcpp/server_context.h"

namespace lmdbapi::server {

class BearerAuth {
 public:
  // An empty token turns authentication off.
  explicit BearerAuth(std::string token) : token_(std::move(token)) {}

  bool enabled() const { return !token_.empty(); }
  // OK, or UNAUTHENTICATED saying what is missing.
  absl::Status Check(const grpc::ServerContextBase& context) const;

 private:
  std::string token_;
};

}  // namespace lmdbapi::server

#endif  // LMDBAPI_SERVER_TABLE_AUTH_H_
