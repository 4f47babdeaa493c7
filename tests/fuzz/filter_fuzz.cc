// libFuzzer: any bytes as a Filter request of the permits schema (what gRPC
// hands the server after parsing) become a query and a plan, or an
// INVALID_ARGUMENT: never a crash.
#include <cstddef>
#include <cstdint>

#include "proto/examples/permits.lmdbapi.h"
#include "proto/examples/permits_service.pb.h"
#include "server/schema.h"
#include "server/table/filter_request.h"
#include "storage/query.h"
#include "storage/schema.h"

namespace {

// The schema's tables, declared from its descriptor as the server does
// (server::DeclareTables: LmdbapiSchema() leaves `tables` empty).
const std::vector<lmdbapi::storage::TableSchema>& Tables() {
  static const auto* tables = [] {
    lmdbapi::server::Schema schema =
        lmdbapi::examples::permits::LmdbapiSchema();
    if (!lmdbapi::server::DeclareTables(&schema).ok()) __builtin_trap();
    return new std::vector<lmdbapi::storage::TableSchema>(
        *lmdbapi::storage::ResolveSchema(schema.tables));
  }();
  return *tables;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  lmdbapi::examples::permits::FilterPermitsRequest request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return 0;
  const lmdbapi::storage::TableSchema& permits = Tables()[0];
  auto query = lmdbapi::server::QueryFromRequest(request, permits.descriptor);
  if (!query.ok()) {
    if (query.status().code() != absl::StatusCode::kInvalidArgument)
      __builtin_trap();
    return 0;
  }
  auto plan = lmdbapi::storage::PlanQuery(permits, *query);
  if (plan.ok()) {
    (void)plan->Describe();
    (void)plan->Fingerprint(permits);
  } else if (plan.status().code() != absl::StatusCode::kInvalidArgument) {
    __builtin_trap();
  }
  return 0;
}
