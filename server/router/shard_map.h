// --shard_map: which shard holds the records of each shard key, as nginx
// routes writes (deploy/router/gen-nginx-conf reads the same file), so that
// the fan-out router asks only the shards that can hold a Filter's or
// Count's records when its query names the shard key's values (`county =
// "NY"`, `county = (NY OR NJ)`) instead of all of them.
//
//   {"shards": {"shard-0": {"grpc": "HOST:PORT", "keys": ["NY", "NJ"]}, ...},
//    "default": "shard-0"}        (optional; other members are nginx's)
//
// Each map shard is the router's --shards entry with the same "grpc"
// address. A key in no shard's "keys" belongs to "default" when the map
// names one (as nginx sends it there), else to no shard: such a query asks
// every shard.
#ifndef LMDBAPI_SERVER_ROUTER_SHARD_MAP_H_
#define LMDBAPI_SERVER_ROUTER_SHARD_MAP_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "storage/query.h"
#include "storage/schema.h"

namespace lmdbapi::server {

class ShardMap {
 public:
  // The map in `json` over the router's `shards` (HOST:PORT, in --shards
  // order). INVALID_ARGUMENT naming the member for a map that is not JSON,
  // a shard whose "grpc" is not one of `shards`, a key of two shards or a
  // "default" that names no shard.
  static absl::StatusOr<ShardMap> Parse(absl::string_view json,
                                        const std::vector<std::string>& shards);
  // Parse of the file at `path`; NOT_FOUND naming it when it cannot be read.
  static absl::StatusOr<ShardMap> Load(const std::string& path,
                                       const std::vector<std::string>& shards);

  // The --shards position of the shard holding `key`'s records, or none.
  std::optional<size_t> ShardOf(absl::string_view key) const;

 private:
  absl::flat_hash_map<std::string, size_t> shard_of_;
  std::optional<size_t> default_;
};

// The values every record `query` can match holds in `field` (a string field
// of the table's record), when the query names them: a typed equality on it,
// or at the top of the filter's AND an equality (`county = "NY"`) or an OR of
// equalities (`county = (NY OR NJ)`, `county = "NY" OR county = "NJ"`). None
// for anything else (no constraint, a prefix, `!=`, an OR with another
// field, a filter that does not parse: the fan-out reports that).
std::optional<std::vector<std::string>> FixedValuesOf(
    const storage::TableSchema& table, const storage::Query& query,
    const google::protobuf::FieldDescriptor* field);

}  // namespace lmdbapi::server

#endif  // LMDBAPI_SERVER_ROUTER_SHARD_MAP_H_
