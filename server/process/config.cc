// The flags are a table of our own (Options() below), not abseil's flags
// library, although abseil is a dependency (docs/SERVER.md, "Why not
// abseil's flags"). With ABSL_FLAG and absl::ParseCommandLine (abseil
// 20220623, Debian 12's), as tried:
// - a bad or unknown flag exits the process inside ParseCommandLine (exit 1,
//   "ERROR: Illegal value 'x' specified for flag 'durability'"), where
//   ParseConfig returns INVALID_ARGUMENT naming --durability and its
//   variable and the server exits 2 (tests/e2e/permits_server_test.cc
//   checks for "--durability");
// - --help and --version would be abseil's usage output, not ConfigHelp()
//   and "<program> (lmdbapi) <version>", and abseil adds flags of its own
//   (--flagfile, --fromenv, --undefok, ...);
// - bool flags take --noX, 1, yes...; --open_reflection takes true or false;
// - flags are process globals registered by lmdbapi_server, which every
//   <schema>-server links: a consumer's program that defines a flag of the
//   same name (--listen, --port_file, ...) no longer links (FLAGS_listen
//   defined twice), and ParseConfig would no longer be a function of
//   (args, environment).
// The environment fallbacks sit in the same table, so one entry says all
// about a flag; entries are referred to by flag name (FindOption).
#include "server/process/config.h"

#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "base/status_macros.h"
#include "version/version.h"

namespace lmdbapi::server {
namespace {

struct Option {
  const char* flag;
  std::vector<const char*> env;  // first set one wins
  const char* value_hint;
  const char* help;
  std::function<absl::Status(Config&, const std::string&)> set;
};

const std::vector<Option>& Options();

// The entry of --`flag`, or nullptr when there is none.
const Option* FindOption(absl::string_view flag) {
  for (const Option& o : Options()) {
    if (flag == o.flag) return &o;
  }
  return nullptr;
}

// INVALID_ARGUMENT: `value` of --`flag` (an entry of Options(), named with
// its first environment variable) is not valid.
absl::Status Bad(absl::string_view flag, const std::string& value,
                 const char* expects) {
  const Option& o = *FindOption(flag);
  std::string source = absl::StrCat("--", o.flag);
  if (!o.env.empty()) absl::StrAppend(&source, " (or $", o.env[0], ")");
  return absl::InvalidArgumentError(
      absl::StrCat(source, ": '", value, "' is not valid; expects ", expects));
}

// One entry per flag (its variables, help and parser), in the order --help
// lists them; entries are referred to by flag name (FindOption).
// Long: a data table, one entry per flag; splitting it would scatter them.
const std::vector<Option>& Options() {
  static const auto* options = new std::vector<Option>{
      {"listen",
       {"LMDBAPI_LISTEN"},
       "HOST:PORT",
       "gRPC listen address; port 0 picks a free one",
       [](Config& c, const std::string& v) {
         size_t colon = v.rfind(':');
         int port;
         if (colon == std::string::npos || colon == 0 ||
             !absl::SimpleAtoi(v.substr(colon + 1), &port) || port < 0 ||
             port > 65535) {
           return Bad("listen", v, "HOST:PORT with a port in 0..65535");
         }
         c.listen = v;
         return absl::OkStatus();
       }},
      {"data_dir",
       {"LMDBAPI_DATA_DIR"},
       "PATH",
       "LMDB data directory (created if missing)",
       [](Config& c, const std::string& v) {
         if (v.empty()) return Bad("data_dir", v, "a directory path");
         c.data_dir = v;
         return absl::OkStatus();
       }},
      {"map_size_gb",
       {"LMDB_MAP_SIZE_GB"},
       "GB",
       "initial LMDB map size, in GiB",
       [](Config& c, const std::string& v) {
         double gb;
         if (!absl::SimpleAtod(v, &gb) || !(gb > 0) || gb > 1 << 20) {
           return Bad("map_size_gb", v, "a positive number of GiB");
         }
         c.map_size_gb = gb;
         return absl::OkStatus();
       }},
      {"max_map_size_gb",
       {"LMDBAPI_MAX_MAP_SIZE_GB"},
       "GB",
       "the map doubles when full up to this size, then writes get "
       "RESOURCE_EXHAUSTED; 0 = 16 x map size",
       [](Config& c, const std::string& v) {
         double gb;
         if (!absl::SimpleAtod(v, &gb) || gb < 0 || gb > 1 << 20) {
           return Bad("max_map_size_gb", v, "a number of GiB >= 0");
         }
         c.max_map_size_gb = gb;
         return absl::OkStatus();
       }},
      {"max_readers",
       {"LMDBAPI_MAX_READERS"},
       "N",
       "LMDB reader slots (concurrent reads)",
       [](Config& c, const std::string& v) {
         unsigned n;
         if (!absl::SimpleAtoi(v, &n) || n == 0 || n > 1 << 20) {
           return Bad("max_readers", v, "a positive integer");
         }
         c.max_readers = n;
         return absl::OkStatus();
       }},
      {"max_dbs",
       {"LMDBAPI_MAX_DBS"},
       "N",
       "LMDB named databases (at least tables + indexes + 1; raised to that)",
       [](Config& c, const std::string& v) {
         unsigned n;
         if (!absl::SimpleAtoi(v, &n) || n == 0 || n > 32767) {
           return Bad("max_dbs", v, "an integer in 1..32767");
         }
         c.max_dbs = n;
         return absl::OkStatus();
       }},
      {"durability",
       {"LMDBAPI_DURABILITY"},
       "MODE",
       "durable (fsync before answering, default) | nometasync | nosync; a "
       "replica (--replica_id) defaults to nometasync: its log is durable",
       [](Config& c, const std::string& v) {
         c.durability_given = true;
         if (v == "durable") {
           c.durability = storage::Durability::kDurable;
         } else if (v == "nometasync") {
           c.durability = storage::Durability::kNoMetaSync;
         } else if (v == "nosync") {
           c.durability = storage::Durability::kNoSync;
         } else {
           return Bad("durability", v, "durable, nometasync or nosync");
         }
         return absl::OkStatus();
       }},
      {"log_level",
       {"LMDBAPI_LOG_LEVEL"},
       "LEVEL",
       "debug (every call with its latency in us) | info | warning | error",
       [](Config& c, const std::string& v) {
         if (!ParseLogLevel(v, &c.log_level)) {
           return Bad("log_level", v, "debug, info, warning or error");
         }
         return absl::OkStatus();
       }},
      {"max_page_size",
       {"LMDBAPI_MAX_PAGE_SIZE"},
       "N",
       "largest page a Filter/Paginate returns (larger requests are clamped)",
       [](Config& c, const std::string& v) {
         size_t n;
         if (!absl::SimpleAtoi(v, &n) || n == 0 || n > 100000) {
           return Bad("max_page_size", v, "an integer in 1..100000");
         }
         c.max_page_size = n;
         return absl::OkStatus();
       }},
      {"max_message_bytes",
       {"LMDBAPI_MAX_MESSAGE_BYTES"},
       "N",
       "largest request or response message, in bytes",
       [](Config& c, const std::string& v) {
         size_t n;
         if (!absl::SimpleAtoi(v, &n) || n < 1024 || n > (size_t{1} << 30)) {
           return Bad("max_message_bytes", v, "an integer in 1024..1073741824");
         }
         c.max_message_bytes = n;
         return absl::OkStatus();
       }},
      {"port_file",
       {},
       "PATH",
       "write the bound gRPC port here once serving",
       [](Config& c, const std::string& v) {
         c.port_file = v;
         return absl::OkStatus();
       }},
      {"tls_cert",
       {"LMDBAPI_TLS_CERT"},
       "PEM",
       "serve TLS with this certificate chain (with --tls_key)",
       [](Config& c, const std::string& v) {
         c.tls_cert = v;
         return absl::OkStatus();
       }},
      {"tls_key",
       {"LMDBAPI_TLS_KEY"},
       "PEM",
       "the private key of --tls_cert",
       [](Config& c, const std::string& v) {
         c.tls_key = v;
         return absl::OkStatus();
       }},
      {"tls_client_ca",
       {"LMDBAPI_TLS_CLIENT_CA"},
       "PEM",
       "with --tls_cert: require a client certificate signed by this CA "
       "(mutual TLS); calls without one fail the handshake",
       [](Config& c, const std::string& v) {
         c.tls_client_ca = v;
         return absl::OkStatus();
       }},
      {"peer_ca",
       {"LMDBAPI_PEER_CA"},
       "PEM",
       "talk TLS to the servers this one calls (the router to its shards, a "
       "replica to its leader), verifying their certificates and host names "
       "with this CA; default plaintext",
       [](Config& c, const std::string& v) {
         c.peer_ca = v;
         return absl::OkStatus();
       }},
      {"peer_cert",
       {"LMDBAPI_PEER_CERT"},
       "PEM",
       "with --peer_ca: the client certificate shown to those servers (for "
       "ones with --tls_client_ca), with --peer_key; default --tls_cert",
       [](Config& c, const std::string& v) {
         c.peer_cert = v;
         return absl::OkStatus();
       }},
      {"peer_key",
       {"LMDBAPI_PEER_KEY"},
       "PEM",
       "the private key of --peer_cert; default --tls_key",
       [](Config& c, const std::string& v) {
         c.peer_key = v;
         return absl::OkStatus();
       }},
      {"tls_reload_seconds",
       {"LMDBAPI_TLS_RELOAD_SECONDS"},
       "N",
       "re-read --tls_cert, --tls_key, --tls_client_ca and the --peer_* "
       "files this often when "
       "they change (new connections get the new files; no restart); "
       "default 60",
       [](Config& c, const std::string& v) {
         unsigned n;
         if (!absl::SimpleAtoi(v, &n) || n < 1 || n > 86400) {
           return Bad("tls_reload_seconds", v, "an integer in 1..86400");
         }
         c.tls_reload_seconds = n;
         return absl::OkStatus();
       }},
      {"trusted_proxies",
       {"LMDBAPI_TRUSTED_PROXIES"},
       "SUBJECT;...",
       "with --tls_client_ca: client certificate subjects (as 'CN=gateway,"
       "O=Example', ';' between subjects) whose x-client-subject metadata "
       "names the caller they forward",
       [](Config& c, const std::string& v) {
         std::vector<std::string> subjects =
             absl::StrSplit(v, ';', absl::SkipWhitespace());
         for (std::string& subject : subjects) {
           subject = std::string(absl::StripAsciiWhitespace(subject));
           if (!absl::StrContains(subject, "=")) {
             return Bad("trusted_proxies", v,
                        "subjects such as CN=gateway,O=Example, ';' between");
           }
         }
         c.trusted_proxies = std::move(subjects);
         return absl::OkStatus();
       }},
      {"auth_token",
       {"LMDBAPI_AUTH_TOKEN"},
       "TOKEN",
       "require 'authorization: Bearer TOKEN' on every table call "
       "(UNAUTHENTICATED otherwise); health stays open",
       [](Config& c, const std::string& v) {
         c.auth_token = v;
         return absl::OkStatus();
       }},
      {"jwks_file",
       {"LMDBAPI_JWKS_FILE"},
       "PATH",
       "accept JWT bearer tokens (RS256, ES256) signed by a key of this JWKS "
       "file, re-read when it changes; needs --jwt_issuer and --jwt_audience",
       [](Config& c, const std::string& v) {
         c.jwks_file = v;
         return absl::OkStatus();
       }},
      {"jwt_issuer",
       {"LMDBAPI_JWT_ISSUER"},
       "ISS",
       "the iss a JWT must have (with --jwks_file)",
       [](Config& c, const std::string& v) {
         c.jwt_issuer = v;
         return absl::OkStatus();
       }},
      {"jwt_audience",
       {"LMDBAPI_JWT_AUDIENCE"},
       "AUD",
       "the aud a JWT must have, or hold (with --jwks_file)",
       [](Config& c, const std::string& v) {
         c.jwt_audience = v;
         return absl::OkStatus();
       }},
      {"auth_policy",
       {"LMDBAPI_AUTH_POLICY"},
       "PATH",
       "JSON file of roles (read, write, admin per table) and who holds them "
       "(docs/SECURITY.md); without it any authenticated caller may do "
       "everything",
       [](Config& c, const std::string& v) {
         c.auth_policy = v;
         return absl::OkStatus();
       }},
      {"open_reflection",
       {"LMDBAPI_OPEN_REFLECTION"},
       "BOOL",
       "with credentials required, serve reflection without them too",
       [](Config& c, const std::string& v) {
         if (v != "true" && v != "false") {
           return Bad("open_reflection", v, "true or false");
         }
         c.open_reflection = v == "true";
         return absl::OkStatus();
       }},
      {"index_build_share",
       {"LMDBAPI_INDEX_BUILD_SHARE"},
       "FRACTION",
       "the share of time an online index build works (default 0.9): below 1, "
       "after each chunk it rests, leaving the writer to the calls "
       "(docs/STORAGE.md); the CPU is the calls' first by "
       "--index_build_nice",
       [](Config& c, const std::string& v) {
         double share;
         if (!absl::SimpleAtod(v, &share) || !(share >= 0.05 && share <= 1)) {
           return Bad("index_build_share", v, "a fraction in 0.05..1");
         }
         c.index_build_share = share;
         return absl::OkStatus();
       }},
      {"index_build_chunk",
       {"LMDBAPI_INDEX_BUILD_CHUNK"},
       "RECORDS",
       "records per chunk of an online index build (default 65536): larger "
       "chunks build faster and hold writes longer (docs/STORAGE.md)",
       [](Config& c, const std::string& v) {
         uint64_t records;
         if (!absl::SimpleAtoi(v, &records) || records < 100 ||
             records > 1000000) {
           return Bad("index_build_chunk", v, "a count in 100..1000000");
         }
         c.index_build_chunk = records;
         return absl::OkStatus();
       }},
      {"index_build_nice",
       {"LMDBAPI_INDEX_BUILD_NICE"},
       "NICE",
       "the CPU priority of an online index build's thread, which applies "
       "its chunks itself (default 11: the calls' threads come first, and "
       "the build still gets a share of busy cores; 19: only what the calls "
       "leave; 0: the server's own; docs/STORAGE.md)",
       [](Config& c, const std::string& v) {
         int nice;
         if (!absl::SimpleAtoi(v, &nice) || nice < 0 || nice > 19) {
           return Bad("index_build_nice", v, "a nice value in 0..19");
         }
         c.index_build_nice = nice;
         return absl::OkStatus();
       }},
      {"backup_dir",
       {"LMDBAPI_BACKUP_DIR"},
       "PATH",
       "where lmdbapi.admin.v1.Admin/Backup writes backups; default "
       "<data_dir>-backups",
       [](Config& c, const std::string& v) {
         c.backup_dir = v;
         return absl::OkStatus();
       }},
      {"backup_to",
       {},
       "DIR",
       "copy --data_dir (a running server may keep writing to it) into DIR, "
       "consistent and compacted, then exit",
       [](Config& c, const std::string& v) {
         if (v.empty()) return Bad("backup_to", v, "a directory path");
         c.backup_to = v;
         return absl::OkStatus();
       }},
      {"restore_from",
       {},
       "DIR",
       "copy the backup DIR into --data_dir (which must hold no database), "
       "check its indexes, then exit (0: restored and consistent)",
       [](Config& c, const std::string& v) {
         if (v.empty()) return Bad("restore_from", v, "a directory path");
         c.restore_from = v;
         return absl::OkStatus();
       }},
      {"shards",
       {"LMDBAPI_SHARDS"},
       "HOST:PORT,...",
       "serve as the fan-out router of these shards (no data of its own): "
       "Get, Filter and Paginate ask every shard and merge in order; writes "
       "need the router's x-shard-key, so they are refused here",
       [](Config& c, const std::string& v) {
         std::vector<std::string> shards =
             absl::StrSplit(v, ',', absl::SkipWhitespace());
         for (const std::string& shard : shards) {
           size_t colon = shard.rfind(':');
           int port;
           if (colon == std::string::npos || colon == 0 ||
               !absl::SimpleAtoi(shard.substr(colon + 1), &port) || port < 1 ||
               port > 65535) {
             return Bad("shards", v,
                        "a comma-separated list of HOST:PORT (port 1..65535)");
           }
         }
         if (shards.empty()) return Bad("shards", v, "at least one HOST:PORT");
         c.shards = std::move(shards);
         return absl::OkStatus();
       }},
      {"shard_tag",
       {"LMDBAPI_SHARD_TAG"},
       "N",
       "this shard's position in the fan-out router's --shards (0 for the "
       "first): the last byte of every UUID key it generates, so that the "
       "router asks this shard alone for a Get by such a key",
       [](Config& c, const std::string& v) {
         unsigned n;
         if (!absl::SimpleAtoi(v, &n) || n > 255) {
           return Bad("shard_tag", v, "an integer in 0..255");
         }
         c.shard_tag = static_cast<uint8_t>(n);
         return absl::OkStatus();
       }},
      {"watch_retention",
       {"LMDBAPI_WATCH_RETENTION"},
       "N",
       "changes kept for Watch (the newest N; older start revisions are "
       "OUT_OF_RANGE)",
       [](Config& c, const std::string& v) {
         uint64_t n;
         if (!absl::SimpleAtoi(v, &n) || n < 1) {
           return Bad("watch_retention", v, "a count >= 1");
         }
         c.watch_retention = n;
         return absl::OkStatus();
       }},
      {"shard_key",
       {"LMDBAPI_SHARD_KEY"},
       "FIELD",
       "this server is one shard behind the router: a write whose "
       "x-shard-key differs from its record's FIELD (e.g. county) is "
       "INVALID_ARGUMENT; tables without FIELD are not checked",
       [](Config& c, const std::string& v) {
         c.shard_key = v;
         return absl::OkStatus();
       }},
      {"shard_map",
       {"LMDBAPI_SHARD_MAP"},
       "FILE",
       "on the router (with --shard_key): nginx's shard map (JSON, as "
       "deploy/router/gen-nginx-conf reads it); a Filter or Count whose query "
       "fixes the shard key (county = \"NY\") is asked of that key's shard "
       "alone",
       [](Config& c, const std::string& v) {
         if (v.empty()) return Bad("shard_map", v, "a file path");
         c.shard_map = v;
         return absl::OkStatus();
       }},
      {"max_commit_writes",
       {"LMDBAPI_MAX_COMMIT_WRITES"},
       "N",
       "most writes one Transactions/Commit may hold (more: "
       "INVALID_ARGUMENT, nothing written)",
       [](Config& c, const std::string& v) {
         size_t n;
         if (!absl::SimpleAtoi(v, &n) || n < 1 || n > 100000) {
           return Bad("max_commit_writes", v, "an integer in 1..100000");
         }
         c.max_commit_writes = n;
         return absl::OkStatus();
       }},
      {"max_queued_writes",
       {"LMDBAPI_MAX_QUEUED_WRITES"},
       "N",
       "writes that may wait for the writer; past them a write is refused "
       "at once with UNAVAILABLE (REST 503, Retry-After), nothing written. "
       "0: no bound",
       [](Config& c, const std::string& v) {
         size_t n;
         if (!absl::SimpleAtoi(v, &n) || n > 10000000) {
           return Bad("max_queued_writes", v, "an integer in 0..10000000");
         }
         c.max_queued_writes = n;
         return absl::OkStatus();
       }},
      {"replica_id",
       {"LMDBAPI_REPLICA_ID"},
       "N",
       "this server's id among --replicas: it serves one replica of a "
       "replicated shard (docs/REPLICATION.md). 0: not replicated",
       [](Config& c, const std::string& v) {
         uint64_t n;
         if (!absl::SimpleAtoi(v, &n)) {
           return Bad("replica_id", v, "an id from --replicas (0: none)");
         }
         c.replica_id = n;
         return absl::OkStatus();
       }},
      {"replicas",
       {"LMDBAPI_REPLICAS"},
       "ID=RAFT_HOST:PORT=HOST:PORT,...",
       "every replica of this shard (this one included): its id, the "
       "address its replication listens on, and the address clients reach "
       "it at (followers name the leader by it)",
       [](Config& c, const std::string& v) {
         absl::StatusOr<std::vector<ReplicaAddress>> replicas =
             ParseReplicas(v);
         if (!replicas.ok()) {
           std::string why(replicas.status().message());
           return Bad("replicas", v, why.c_str());
         }
         c.replicas = *std::move(replicas);
         return absl::OkStatus();
       }},
      {"raft_dir",
       {"LMDBAPI_RAFT_DIR"},
       "DIR",
       "where a replica keeps its replication log (default: "
       "<data_dir>/raft)",
       [](Config& c, const std::string& v) {
         if (v.empty()) return Bad("raft_dir", v, "a directory path");
         c.raft_dir = v;
         return absl::OkStatus();
       }},
      {"election_timeout_ms",
       {"LMDBAPI_ELECTION_TIMEOUT_MS"},
       "MS",
       "how long followers wait without hearing from the leader before "
       "electing another (failover takes about 1 to 3 of these)",
       [](Config& c, const std::string& v) {
         unsigned n;
         if (!absl::SimpleAtoi(v, &n) || n < 50 || n > 60000) {
           return Bad("election_timeout_ms", v, "milliseconds in 50..60000");
         }
         c.election_timeout_ms = n;
         return absl::OkStatus();
       }},
      {"snapshot_entries",
       {"LMDBAPI_SNAPSHOT_ENTRIES"},
       "N",
       "a replica records a snapshot of its log (the index it applied; the "
       "data is LMDB, synced first) every N entries, after which the log "
       "keeps --snapshot_trailing entries behind it for replicas that lag",
       [](Config& c, const std::string& v) {
         unsigned n;
         if (!absl::SimpleAtoi(v, &n) || n < 16 || n > 1000000) {
           return Bad("snapshot_entries", v, "an integer in 16..1000000");
         }
         c.snapshot_entries = n;
         return absl::OkStatus();
       }},
      {"replication_token",
       {"LMDBAPI_REPLICATION_TOKEN"},
       "SECRET",
       "a secret every replica of the shard shares: a replica copying the "
       "leader's data (Admin/Snapshot) sends it, and the leader takes it in "
       "place of an admin credential for that call only. Unset: the copy "
       "carries --auth_token, and with JWT alone it is refused",
       [](Config& c, const std::string& v) {
         c.replication_token = v;
         return absl::OkStatus();
       }},
      {"snapshot_trailing",
       {"LMDBAPI_SNAPSHOT_TRAILING"},
       "N",
       "log entries a replica keeps behind its last snapshot (default "
       "65536): a replica further behind than that catches up by copying "
       "the leader's data (Admin/Snapshot), then the log",
       [](Config& c, const std::string& v) {
         unsigned n;
         if (!absl::SimpleAtoi(v, &n) || n > 10000000) {
           return Bad("snapshot_trailing", v, "an integer in 0..10000000");
         }
         c.snapshot_trailing = n;
         return absl::OkStatus();
       }},
      {"ready_lag",
       {"LMDBAPI_READY_LAG"},
       "N",
       "a replica reports NOT_SERVING (health; the gateway's /healthz) while "
       "more committed log entries than this wait to be applied, and after "
       "its start until it hears of a leader (at most two election "
       "timeouts); default 1000",
       [](Config& c, const std::string& v) {
         uint64_t n;
         if (!absl::SimpleAtoi(v, &n) || n > 100000000) {
           return Bad("ready_lag", v, "an integer in 0..100000000");
         }
         c.ready_lag = n;
         return absl::OkStatus();
       }},
      {"snapshot_mb",
       {"LMDBAPI_SNAPSHOT_MB"},
       "MIB",
       "bounds the memory of a replica's log by bytes as well (default "
       "256): a snapshot also once the entries since the last hold this "
       "many MiB, and fewer than --snapshot_trailing entries kept behind it "
       "when they hold more (large entries: imports, big batches)",
       [](Config& c, const std::string& v) {
         unsigned n;
         if (!absl::SimpleAtoi(v, &n) || n < 1 || n > 65536) {
           return Bad("snapshot_mb", v, "a number of MiB in 1..65536");
         }
         c.snapshot_mb = n;
         return absl::OkStatus();
       }},
      {"replication_pipeline",
       {"LMDBAPI_REPLICATION_PIPELINE"},
       "N",
       "a leader's write batches in its replication log and not yet "
       "applied, at once (default 1): with 2 the next batch is replicated "
       "while one is applied (docs/REPLICATION.md)",
       [](Config& c, const std::string& v) {
         size_t n;
         if (!absl::SimpleAtoi(v, &n) || n < 1 || n > 8) {
           return Bad("replication_pipeline", v, "an integer in 1..8");
         }
         c.replication_pipeline = n;
         return absl::OkStatus();
       }},
      {"max_in_flight",
       {"LMDBAPI_MAX_IN_FLIGHT"},
       "N",
       "table-service calls (unary and streams) the server holds at once; "
       "past them a call is refused at once with RESOURCE_EXHAUSTED (REST "
       "429, Retry-After). 0: no bound",
       [](Config& c, const std::string& v) {
         size_t n;
         if (!absl::SimpleAtoi(v, &n) || n > 1000000) {
           return Bad("max_in_flight", v, "an integer in 0..1000000");
         }
         c.max_in_flight = n;
         return absl::OkStatus();
       }},
  };
  return *options;
}

// The environment under the flags: each entry's first variable that is set.
absl::Status ApplyEnvironment(const EnvLookup& env, Config& config) {
  for (const Option& o : Options()) {
    for (const char* name : o.env) {
      const char* value = env(name);
      if (value == nullptr) continue;
      LMDBAPI_RETURN_IF_ERROR(o.set(config, value));
      break;
    }
  }
  return absl::OkStatus();
}

// The flags that take no value (--help, -h, --version, --verify,
// --rotate_page_token_secret, --rejoin, --join); false for any other
// argument.
bool ApplySwitch(const std::string& arg, Config& config) {
  if (arg == "--help" || arg == "-h") {
    config.help = true;
  } else if (arg == "--version") {
    config.version = true;
  } else if (arg == "--verify") {
    config.verify = true;
  } else if (arg == "--rotate_page_token_secret") {
    config.rotate_page_token_secret = true;
  } else if (arg == "--rejoin") {
    config.rejoin = true;
  } else if (arg == "--join") {
    config.join = true;
  } else {
    return false;
  }
  return true;
}

// The flags, over the environment: --name=value or --name value.
absl::Status ApplyFlags(const std::vector<std::string>& args, Config& config) {
  for (size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    if (ApplySwitch(arg, config)) continue;
    if (!absl::StartsWith(arg, "--")) {
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected argument '", arg, "'; see --help"));
    }
    std::string name = arg.substr(2), value;
    size_t eq = name.find('=');
    bool has_value = eq != std::string::npos;
    if (has_value) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    const Option* option = FindOption(name);
    if (option == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown flag --", name, "; see --help"));
    }
    if (!has_value) {
      if (i + 1 >= args.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat("--", name, " needs a value"));
      }
      value = args[++i];
    }
    LMDBAPI_RETURN_IF_ERROR(option->set(config, value));
  }
  return absl::OkStatus();
}

// TLS flags that go together: each certificate with its key, and what
// needs a certificate or a CA.
absl::Status CheckTlsCombinations(const Config& config) {
  if (config.tls_cert.empty() != config.tls_key.empty()) {
    return absl::InvalidArgumentError(
        "--tls_cert and --tls_key go together: give both, or neither");
  }
  if (config.peer_cert.empty() != config.peer_key.empty()) {
    return absl::InvalidArgumentError(
        "--peer_cert and --peer_key go together: give both, or neither");
  }
  if (!config.peer_cert.empty() && config.peer_ca.empty()) {
    return absl::InvalidArgumentError(
        "--peer_cert needs --peer_ca: a client certificate is shown over TLS "
        "only");
  }
  if (!config.trusted_proxies.empty() && config.tls_client_ca.empty()) {
    return absl::InvalidArgumentError(
        "--trusted_proxies needs --tls_client_ca: a proxy is known by its "
        "verified client certificate");
  }
  if (!config.tls_client_ca.empty() && config.tls_cert.empty()) {
    return absl::InvalidArgumentError(
        "--tls_client_ca needs --tls_cert and --tls_key: client certificates "
        "are checked over TLS only");
  }
  return absl::OkStatus();
}

// Flags that go together, or do not: TLS's (above), one command at a time,
// nothing of a data directory with --shards.
absl::Status CheckCombinations(const Config& config) {
  LMDBAPI_RETURN_IF_ERROR(CheckTlsCombinations(config));
  int commands =
      config.verify + !config.backup_to.empty() + !config.restore_from.empty();
  if (commands > 1) {
    return absl::InvalidArgumentError(
        "--verify, --backup_to and --restore_from are separate commands: give "
        "one at a time");
  }
  if (!config.shards.empty() && commands > 0) {
    return absl::InvalidArgumentError(
        "--shards makes a router, which has no data: it does not go with "
        "--verify, --backup_to or --restore_from");
  }
  if ((config.replica_id != 0) != !config.replicas.empty()) {
    return absl::InvalidArgumentError(
        "--replica_id and --replicas go together: a replica needs its id and "
        "every replica's addresses");
  }
  if (config.replica_id != 0) {
    bool listed = false;
    for (const ReplicaAddress& r : config.replicas) {
      listed = listed || r.id == config.replica_id;
    }
    if (!listed) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--replica_id: ", config.replica_id, " is not one of --replicas"));
    }
    if (!config.shards.empty()) {
      return absl::InvalidArgumentError(
          "--shards makes a router, which has no data to replicate: it does "
          "not go with --replica_id");
    }
    if (config.durability == storage::Durability::kNoSync) {
      return absl::InvalidArgumentError(
          "--durability=nosync with --replica_id: a power cut could corrupt "
          "this replica's LMDB, which its replication log cannot repair; use "
          "nometasync (a replica's default) or durable");
    }
  }
  if (config.join && config.replica_id == 0) {
    return absl::InvalidArgumentError(
        "--join goes with --replica_id and --replicas: it starts a replica "
        "being added to a running shard (Admin/AddReplica)");
  }
  if (config.rejoin && config.restore_from.empty()) {
    return absl::InvalidArgumentError(
        "--rejoin goes with --restore_from: it keeps the backup's place in "
        "its shard's replication log");
  }
  if (!config.shard_map.empty() &&
      (config.shards.empty() || config.shard_key.empty())) {
    return absl::InvalidArgumentError(
        "--shard_map goes on the router with --shards and --shard_key: it "
        "says which shard holds each value of the --shard_key field");
  }
  if (!config.shards.empty() && config.shard_tag.has_value()) {
    return absl::InvalidArgumentError(
        "--shard_tag names a shard's place among the router's --shards: it "
        "goes on each shard, not on the router");
  }
  if (!config.shards.empty() && config.rotate_page_token_secret) {
    return absl::InvalidArgumentError(
        "--shards makes a router, which has no page-token secret: rotate it "
        "on each shard (--rotate_page_token_secret)");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Config> ParseConfig(const std::vector<std::string>& args,
                                   const EnvLookup& env) {
  Config config;
  // Environment first, flags override.
  LMDBAPI_RETURN_IF_ERROR(ApplyEnvironment(env, config));
  LMDBAPI_RETURN_IF_ERROR(ApplyFlags(args, config));
  LMDBAPI_RETURN_IF_ERROR(CheckCombinations(config));
  if (config.backup_dir.empty())
    config.backup_dir = config.data_dir + "-backups";
  if (config.raft_dir.empty()) config.raft_dir = config.data_dir + "/raft";
  // A replica's writes are durable in its replication log (fsynced before
  // any answer); LMDB may then skip the meta page's sync, as a crash that
  // undoes its last commit is redone from the log (docs/REPLICATION.md).
  if (config.replica_id != 0 && !config.durability_given) {
    config.durability = storage::Durability::kNoMetaSync;
  }
  if (config.max_map_size_gb != 0 &&
      config.max_map_size_gb < config.map_size_gb) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--max_map_size_gb (", config.max_map_size_gb,
        ") is smaller than --map_size_gb (", config.map_size_gb, ")"));
  }
  return config;
}

std::string ConfigHelp(const std::string& program) {
  std::string text = absl::StrCat(
      "usage: ", program, " [--flag=value ...]\n\n", "lmdbapi ", Version(),
      ": ",
      "serves the tables of its schema over gRPC (with reflection and "
      "health).\n"
      "With --verify, checks the indexes of --data_dir against its records "
      "instead,\nprints the report and exits (0: consistent, 1: not); it "
      "writes nothing\n(read-only, with the schema the directory records).\n"
      "With --backup_to or --restore_from, copies a data directory and "
      "exits.\n"
      "A restored directory starts a new replication log (a whole shard "
      "restored);\nwith --rejoin it keeps the backup's place in its shard's "
      "log, to rejoin that\nshard as one replica (docs/REPLICATION.md).\n"
      "--join starts a replica that is being added to a running shard "
      "(Admin/AddReplica):\nit takes the group from the leader's log "
      "instead of starting one from --replicas.\n"
      "With --shards, routes to other servers of the same schema instead "
      "(see deploy/README.md).\n"
      "--version prints lmdbapi's version and exits.\n"
      "--rotate_page_token_secret replaces the key that signs page tokens, "
      "then serves:\nevery page token issued before is refused (give it "
      "once, on one start).\n"
      "Each flag falls back to the environment variable(s) shown.\n\n");
  Config defaults;
  for (const Option& o : Options()) {
    std::string env;
    for (const char* e : o.env)
      absl::StrAppend(&env, env.empty() ? "" : ", ", "$", e);
    absl::StrAppend(&text, "  --", o.flag, "=", o.value_hint);
    if (!env.empty()) absl::StrAppend(&text, "   [", env, "]");
    absl::StrAppend(&text, "\n      ", o.help, "\n");
  }
  absl::StrAppend(&text, "\nDefaults: --listen=", defaults.listen,
                  " --data_dir=", defaults.data_dir, " --map_size_gb=1",
                  " --max_readers=512 --durability=durable --log_level=info\n");
  return text;
}

}  // namespace lmdbapi::server
