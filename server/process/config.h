// Server configuration: flags with environment fallbacks (the environment
// names of the original design, such as HOST_URL, keep working). `--help`
// prints the table below.
#ifndef LMDBAPI_SERVER_PROCESS_CONFIG_H_
#define LMDBAPI_SERVER_PROCESS_CONFIG_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "model/request_layout.h"
#include "server/observability/log.h"
#include "server/replication/replica_address.h"
#include "storage/environment.h"

namespace lmdbapi::server {

struct Config {
  std::string listen = "127.0.0.1:50051";  // loopback unless told otherwise
  std::string data_dir = "data/lmdbapi";
  double map_size_gb = 1;      // initial map (LMDB_MAP_SIZE_GB)
  double max_map_size_gb = 0;  // growth limit; 0 = 16 x map size
  unsigned max_readers = 512;
  unsigned max_dbs = 128;
  storage::Durability durability = storage::Durability::kDurable;
  bool durability_given = false;  // --durability (or its variable) was set
  LogLevel log_level = LogLevel::kInfo;
  size_t max_page_size = model::layout::kMaxPageSize;
  size_t max_message_bytes = 4 << 20;
  std::string port_file;  // written with the bound port once serving
  // TLS: PEM certificate chain and private key files (both, or neither).
  std::string tls_cert, tls_key;
  // mTLS: a PEM CA; when set, every client must present a certificate it
  // signed (the handshake fails otherwise).
  std::string tls_client_ca;
  // TLS to the servers this one calls (the router's shards; a replica's
  // leader, for forwarded writes and snapshot copies): the PEM CA that
  // signed their certificates; empty = plaintext.
  std::string peer_ca;
  // The client certificate shown to them (shards with --tls_client_ca);
  // empty: --tls_cert/--tls_key, if any.
  std::string peer_cert, peer_key;
  // How often the TLS files above are checked for changes and re-read.
  unsigned tls_reload_seconds = 60;
  // A replica is not ready (health NOT_SERVING) while more committed log
  // entries than this wait to be applied (server/replication/
  // replica_readiness.h).
  uint64_t ready_lag = 1000;
  // Client certificate subjects of proxies (the gateway) whose
  // x-client-subject metadata is believed (server/access/client_subject.h).
  std::vector<std::string> trusted_proxies;
  // Bearer-token authentication of the table services; empty = off.
  std::string auth_token;
  // Signed bearer tokens (JWT, RS256/ES256) verified with the keys of this
  // JWKS file (re-read when it changes), for this issuer and audience.
  std::string jwks_file, jwt_issuer, jwt_audience;
  // Roles and permissions per identity (proto/lmdbapi/policy.proto, JSON);
  // empty = every authenticated identity may do everything.
  std::string auth_policy;
  // With a token: serve reflection to anyone (health is always open).
  bool open_reflection = false;
  // Where Admin.Backup writes; empty = "<data_dir>-backups".
  std::string backup_dir;
  // --backup_to=DIR: copy --data_dir (live or not) into DIR and exit.
  std::string backup_to;
  // --restore_from=DIR: copy the backup DIR into --data_dir (which must hold
  // no database), check its indexes, and exit: 0 when consistent.
  std::string restore_from;
  // --shards=A,B,C: serve as the stateless fan-out router of these servers
  // (same schema) instead of opening --data_dir.
  std::vector<std::string> shards;
  // --shard_tag=N: the last byte of every key this shard generates, its
  // position in the router's --shards (the router asks it first for a Get).
  std::optional<uint8_t> shard_tag;
  // --shard_key=FIELD: a write with x-shard-key must hold it in FIELD. On
  // the router (with --shard_map): the field a listing's query may fix.
  std::string shard_key;
  // --shard_map=FILE (router): nginx's shard map (server/router/shard_map.h).
  std::string shard_map;
  // Changes kept for Watch (the newest this many).
  uint64_t watch_retention = 100000;
  // Most writes in one Transactions/Commit.
  size_t max_commit_writes = 1000;
  // Writes waiting for the writer before more are refused (0: no bound).
  size_t max_queued_writes = 10000;
  // Table-service calls in flight before more are refused (0: no bound).
  size_t max_in_flight = 4096;
  // A replicated shard (docs/REPLICATION.md): this replica's id (0: not
  // replicated) among every replica of the shard, its replication log's
  // directory (default <data_dir>/raft), and the election timeout.
  uint64_t replica_id = 0;
  std::vector<ReplicaAddress> replicas;
  std::string raft_dir;
  unsigned election_timeout_ms = 1000;
  unsigned snapshot_entries = 4096;    // a replica's snapshot every N entries
  unsigned snapshot_trailing = 65536;  // log entries kept behind a snapshot
  unsigned snapshot_mb = 256;  // the log's bytes between and behind snapshots
  bool join = false;           // a replica being added (Admin/AddReplica)
  // The share of time an online index build works (the rest: calls'):
  // 0.9 keeps both a build and the calls near their targets on two busy
  // cores (docs/BENCHMARKS.md, "The online builder rests a tenth").
  double index_build_share = 0.9;
  size_t index_build_chunk = 65536;
  // The online builder's CPU priority: the calls' threads come first.
  int index_build_nice = 11;
  // Shared by a shard's replicas: lets one copy the leader's data.
  std::string replication_token;
  size_t replication_pipeline = 1;  // batches proposed and not yet applied
  // --rejoin (with --restore_from): keep the backup's place in its shard's
  // replication log; without it a restore starts a new log over the data.
  bool rejoin = false;
  bool help = false;
  bool version = false;  // --version: print lmdbapi's version and exit
  // --verify: open the data directory, check every index against its records
  // (and every child's parent), print the report and exit: 0 when consistent.
  bool verify = false;
  // --rotate_page_token_secret: open with a new page-token key, then serve;
  // every page token issued before is refused (INVALID_ARGUMENT).
  bool rotate_page_token_secret = false;
};

// Looks an environment variable up; empty optional when unset.
using EnvLookup = std::function<const char*(const char*)>;

// Parses argv (argv[0] excluded) over the environment. INVALID_ARGUMENT with
// a message naming the flag (and its variable) for a bad or unknown value.
absl::StatusOr<Config> ParseConfig(const std::vector<std::string>& args,
                                   const EnvLookup& env);

// The --help text: every flag, its variable(s), default and meaning.
std::string ConfigHelp(const std::string& program);

}  // namespace lmdbapi::server

#endif  // LMDBAPI_SERVER_PROCESS_CONFIG_H_
