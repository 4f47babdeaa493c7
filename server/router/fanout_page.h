// Cross-shard pages: one ordered page merged from the ordered pages of every
// shard, and a page token that resumes each shard where the merged page left
// it.
//
// Every shard returns a Filter's records in the order of its access path (an
// index key, else the primary key), so the router can merge them like sorted
// runs. The merged token holds, per shard, the shard's own page token that
// was last asked for and the last record already returned from that page;
// the next merged page asks the shard for the same page again and skips up to
// that record. Records written or deleted between pages behave as on one
// shard: a page never repeats a record and resumes after the last one seen.
#ifndef LMDBAPI_SERVER_ROUTER_FANOUT_PAGE_H_
#define LMDBAPI_SERVER_ROUTER_FANOUT_PAGE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "storage/plan_cache.h"
#include "storage/query.h"
#include "storage/schema.h"
#include "storage/wire_record.h"

namespace lmdbapi::server {

// Where a record sorts in a listing: its sort key in the shard's plan
// (storage::Plan::SortKeyOf: the order fields, then the primary key).
struct OrderKey {
  std::string key;
  std::string pk;
  friend bool operator<(const OrderKey& a, const OrderKey& b) {
    return std::tie(a.key, a.pk) < std::tie(b.key, b.pk);
  }
};

// The order a shard lists a table's records in for one request: the plan the
// shard's planner picks (the same on every shard: it depends on the schema
// and the request only).
class RecordOrder {
 public:
  // `request` is a generated Filter request (its filter fields are read), or
  // null for Paginate (primary-key order); `wire`, the bytes it was parsed
  // from (its set fields are read off them, as a shard does). `records`,
  // when not null, is the table's WireRecord (which must outlive the order):
  // Of(bytes) then reads keys off the bytes. `plans`, when not null, is the
  // table's plan cache: a query asked before reuses its plan. INVALID_ARGUMENT
  // as the shard would answer for a malformed filter.
  static absl::StatusOr<RecordOrder> For(
      const storage::TableSchema& table, const storage::WireRecord* records,
      storage::PlanCache* plans, const google::protobuf::Message* request,
      absl::string_view wire);
  // The same for the query a request was read into (QueryFromRequest).
  static absl::StatusOr<RecordOrder> For(const storage::TableSchema& table,
                                         const storage::WireRecord* records,
                                         storage::PlanCache* plans,
                                         const storage::Query& query);

  absl::StatusOr<OrderKey> Of(const google::protobuf::Message& record) const;
  // The same for a record's serialized `bytes`: read off them
  // (WireRecord::SortKey) where the order's fields allow, else only the
  // fields the key reads (the order fields' outermost fields and the primary
  // key) are parsed, into `scratch` (a message of NewRecord(), cleared
  // first). INTERNAL when the bytes do not parse.
  absl::StatusOr<OrderKey> Of(absl::string_view bytes,
                              google::protobuf::Message* scratch) const;
  // A new, empty message of the table's record type.
  std::unique_ptr<google::protobuf::Message> NewRecord() const;
  // Whether `a` comes before `b` (the plan may read backward).
  bool Before(const OrderKey& a, const OrderKey& b) const {
    return plan().backward ? b < a : a < b;
  }
  const storage::Plan& plan() const { return prepared_->plan; }
  // plan().Describe()
  const std::string& description() const { return prepared_->description; }

 private:
  const storage::TableSchema* table_ = nullptr;
  const storage::WireRecord* records_ = nullptr;
  std::shared_ptr<const storage::PreparedPlan> prepared_;
  // The record's fields Of(bytes, …) parses, by number.
  std::vector<int> key_fields_;
};

// Where one shard stands in a cross-shard listing.
struct ShardCursor {
  std::string token;  // the shard's page token to ask ("" = its first page)
  bool has_last = false;
  OrderKey last;  // the last record of that page already returned
  bool done = false;
};

// A token for `cursors` of a query identified by `fingerprint`.
std::string EncodeFanoutToken(uint64_t fingerprint,
                              const std::vector<ShardCursor>& cursors);

// The cursors in `token` ("" = every shard from its first page).
// INVALID_ARGUMENT naming page_token when the token is malformed, made for
// another query or for another number of shards.
absl::StatusOr<std::vector<ShardCursor>> DecodeFanoutToken(
    uint64_t fingerprint, size_t shards, absl::string_view token);

// A shard's page as the merge takes it: each record's serialized bytes,
// which the merge parses once (for where it sorts) and passes on unchanged.
struct ShardPage {
  std::vector<std::string> records;
  std::string next_token;  // "" = the shard has no more
};

// Asks shards for pages, in parallel: (shard index, shard page token) in,
// one result per request out, in the same order.
using FetchPages = std::function<std::vector<absl::StatusOr<ShardPage>>(
    const std::vector<std::pair<size_t, std::string>>& requests)>;

struct MergedPage {
  std::vector<std::string> records;  // serialized, in order
  std::string next_token;            // "" = the listing is complete
};

// The same, answering later: `done` gets the pages (on any thread).
using PagesDone =
    std::function<void(std::vector<absl::StatusOr<ShardPage>> pages)>;
using FetchPagesAsync = std::function<void(
    const std::vector<std::pair<size_t, std::string>>& requests,
    const PagesDone& done)>;
using MergeDone = std::function<void(absl::StatusOr<MergedPage> page)>;

// Up to `page_size` records of every shard in `order`, from `token`, to
// `done` once the pages it needed have come (from the thread that fetched
// the last of them). The first shard error is passed on as is. `order`
// must outlive the merge. `only`, when not empty, lists the shards the
// first page asks (the others count as done, in its token too); the
// fingerprint must then identify it, as the query's does.
void MergeShardPagesAsync(uint64_t fingerprint, size_t shards,
                          const std::vector<size_t>& only,
                          absl::string_view token, size_t page_size,
                          const RecordOrder& order, FetchPagesAsync fetch,
                          MergeDone done);

// The same with a fetch that answers at once.
absl::StatusOr<MergedPage> MergeShardPages(uint64_t fingerprint, size_t shards,
                                           absl::string_view token,
                                           size_t page_size,
                                           const RecordOrder& order,
                                           const FetchPages& fetch);

}  // namespace lmdbapi::server

#endif  // LMDBAPI_SERVER_ROUTER_FANOUT_PAGE_H_
