// libFuzzer: any bytes as a Filter request of the permits schema (what gRPC
// hands the server after parsing) become a query and a plan, or an
// INVALID_ARGUMENT: never a crash. The query read through the request's tags
// (what the raw Filter method does) is the one read through reflection.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <variant>

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

// Equal values; a NaN equals a NaN of the same bits.
bool SameValue(const lmdbapi::storage::Value& a,
               const lmdbapi::storage::Value& b) {
  const double* x = std::get_if<double>(&a);
  const double* y = std::get_if<double>(&b);
  if (x != nullptr && y != nullptr) {
    return std::memcmp(x, y, sizeof(double)) == 0;
  }
  return a == b;
}

bool SameQuery(const absl::StatusOr<lmdbapi::storage::Query>& a,
               const absl::StatusOr<lmdbapi::storage::Query>& b) {
  if (a.ok() != b.ok()) return false;
  if (!a.ok()) return a.status() == b.status();
  if (a->page_size != b->page_size || a->page_token != b->page_token ||
      a->filter != b->filter || a->order_by != b->order_by ||
      a->predicates.size() != b->predicates.size()) {
    return false;
  }
  for (size_t i = 0; i < a->predicates.size(); ++i) {
    const lmdbapi::storage::Predicate& p = a->predicates[i];
    const lmdbapi::storage::Predicate& q = b->predicates[i];
    if (p.field != q.field || p.op != q.op || !SameValue(p.value, q.value)) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  lmdbapi::examples::permits::FilterPermitsRequest request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return 0;
  const lmdbapi::storage::TableSchema& permits = Tables()[0];
  auto query = lmdbapi::server::QueryFromRequest(request, permits.descriptor);
  auto from_wire = lmdbapi::server::QueryFromRequest(
      request, absl::string_view(reinterpret_cast<const char*>(data), size),
      permits.descriptor);
  if (!SameQuery(query, from_wire)) __builtin_trap();
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
