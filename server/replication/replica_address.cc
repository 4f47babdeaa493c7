#include "server/replication/replica_address.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace lmdbapi::server {

absl::StatusOr<std::vector<ReplicaAddress>> ParseReplicas(
    absl::string_view text) {
  std::vector<ReplicaAddress> replicas;
  for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    std::vector<std::string> parts = absl::StrSplit(item, '=');
    ReplicaAddress r;
    if (parts.size() != 3 || !absl::SimpleAtoi(parts[0], &r.id) || r.id == 0 ||
        parts[1].empty() || parts[2].empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("'", item,
                       "' is not ID=RAFT_HOST:PORT=CLIENT_HOST:PORT (ids "
                       "from 1)"));
    }
    for (const ReplicaAddress& other : replicas) {
      if (other.id == r.id) {
        return absl::InvalidArgumentError(
            absl::StrCat("replica ", r.id, " is listed twice"));
      }
    }
    r.raft = std::move(parts[1]);
    r.client = std::move(parts[2]);
    replicas.push_back(std::move(r));
  }
  return replicas;
}

std::string ConfiguredAddress(const ReplicaAddress& replica) {
  return absl::StrCat(replica.raft, "=", replica.client);
}

ReplicaAddress FromConfiguredAddress(uint64_t id, absl::string_view address) {
  std::pair<std::string, std::string> parts =
      absl::StrSplit(address, absl::MaxSplits('=', 1));
  return ReplicaAddress{id, std::move(parts.first), std::move(parts.second)};
}

std::string TransportAddress(absl::string_view address) {
  return std::string(address.substr(0, address.find('=')));
}

}  // namespace lmdbapi::server
