// The subcommands of `lmdbapi`: names, usage, help and flags. Their bodies
// live in cli/*_commands.cc; the remote side's in cli/remote_commands.cc.
#include "cli/commands.h"

#if __has_include("cli/remote_commands.h")
#include "cli/remote_commands.h"
#define LMDBAPI_CLI_HAS_REMOTE_COMMANDS 1
#endif

namespace lmdbapi::cli {
namespace {

std::vector<Command> BackendCommands() {
  return {
      {"stat",
       "stat [--json]",
       "Tables (records, pages), indexes (entries, build state), the map's "
       "size and use, readers and the last revision.\n"
       "  lmdbapi stat data/permits",
       Target::kBackend,
       Access::kReadOnly,
       {"json!"},
       0,
       0,
       RunStat},
      {"verify",
       "verify [--json]",
       "Compares every index with the records, from one read snapshot; opens "
       "no write transaction. Exit code 1 when anything mismatches.\n"
       "  lmdbapi verify data/permits",
       Target::kBackend,
       Access::kReadOnly,
       {"json!"},
       0,
       0,
       RunVerify},
      {"rebuild",
       "rebuild [--table=T] [--index=NAME]",
       "Rebuilds an index (or every index of a table, or of every table), "
       "showing its progress until it is done.\n"
       "  lmdbapi rebuild data/permits --table=permits --index=by_county",
       Target::kBackend,
       Access::kWritable,
       {"table", "index"},
       0,
       0,
       RunRebuild},
      {"backup",
       "backup DEST",
       "A consistent, compacted copy of the database into DEST: a new "
       "directory (with --server: the backup's name under the server's "
       "--backup_dir).\n"
       "  lmdbapi backup data/permits /backups/permits-2026-11-28",
       Target::kBackend,
       Access::kReadOnly,
       {},
       1,
       1,
       RunBackup},
      {"restore",
       "restore BACKUP_DIR DATA_DIR",
       "Copies a backup into a new data directory and verifies it (as the "
       "server's --restore_from). Data directories only.\n"
       "  lmdbapi restore /backups/permits-2026-11-28 data/permits",
       Target::kLocalOnly,
       Access::kWritable,
       {},
       2,
       2,
       RunRestore},
  };
}

std::vector<Command> TransferCommands() {
  return {
      {"export",
       "export [--table=T] [--format=ndjson|binary] [--output=FILE]",
       "Writes every record of a table (or of all tables) from one snapshot: "
       "NDJSON in protobuf's JSON mapping (all tables: each line "
       "{\"table\":T,\"record\":{...}}), or length-delimited binary (one "
       "table).\n"
       "  lmdbapi export data/permits --table=permits > permits.ndjson",
       Target::kBackend,
       Access::kReadOnly,
       {"table", "format", "output"},
       0,
       0,
       RunExport},
      {"import",
       "import --table=T [--format=ndjson|binary] [--skip_bad] [--batch=N] "
       "FILE|-",
       "Inserts the records of FILE (- : standard input) in batches, indexes "
       "maintained, durable when it reports done. On a bad record it stops, "
       "naming its line and field, with exactly the records before it "
       "stored; --skip_bad skips (and reports) bad records instead.\n"
       "  lmdbapi import data/permits --table=permits permits.ndjson",
       Target::kBackend,
       Access::kWritable,
       {"table", "format", "skip_bad!", "batch"},
       1,
       1,
       RunImport},
  };
}

std::vector<Command> RecordCommands() {
  return {
      {"get",
       "get --table=T KEY",
       "Prints the record with primary key KEY.\n"
       "  lmdbapi get data/permits --table=permits 0192f0c1-...",
       Target::kBackend,
       Access::kReadOnly,
       {"table"},
       1,
       1,
       RunGet},
      {"put",
       "put --table=T JSON",
       "Inserts the record (or replaces the one with its key) and prints it "
       "as stored.\n"
       "  lmdbapi put data/permits --table=permits '{\"county\":\"NY\"}'",
       Target::kBackend,
       Access::kWritable,
       {"table"},
       1,
       1,
       RunPut},
      {"delete",
       "delete --table=T KEY",
       "Deletes the record with primary key KEY (and, for a parent, its "
       "children).\n"
       "  lmdbapi delete data/permits --table=permits 0192f0c1-...",
       Target::kBackend,
       Access::kWritable,
       {"table"},
       1,
       1,
       RunDelete},
  };
}

// The subcommands that read a table's records by a filter, and the schema.
std::vector<Command> QueryCommands() {
  return {
      {"list",
       "list --table=T [--filter=F] [--parent=KEY] [--order_by=O] [--limit=N] "
       "[--page_size=N]",
       "Prints the records that match the filter (the Filter RPC's), one "
       "JSON object a line; --parent keeps a child table's records of the "
       "parent with that key.\n"
       "  lmdbapi list data/permits --table=permits --filter='county = \"NY\"'",
       Target::kBackend,
       Access::kReadOnly,
       {"table", "filter", "parent", "order_by", "limit", "page_size"},
       0,
       0,
       RunList},
      {"count",
       "count --table=T [--filter=F] [--parent=KEY] [--explain]",
       "Prints how many records match the filter (the Count RPC's); "
       "--explain also prints the plan that counted them (index ranges or a "
       "full scan).\n"
       "  lmdbapi count data/permits --table=permits --filter='county = "
       "\"NY\"'",
       Target::kBackend,
       Access::kReadOnly,
       {"table", "filter", "parent", "explain!"},
       0,
       0,
       RunCount},
      {"watch",
       "watch --table=T [--filter=F] [--from_revision=R] [--max_changes=N]",
       "Prints each change of the table's records, one JSON object a line: "
       "{\"type\":\"INSERT\",\"record\":{...}}.\n"
       "  lmdbapi watch --server=127.0.0.1:50051 --table=permits",
       Target::kBackend,
       Access::kReadOnly,
       {"table", "filter", "from_revision", "max_changes"},
       0,
       0,
       RunWatch},
      {"schema",
       "schema",
       "Prints the schema the data directory records (or the server's), as "
       ".proto text.\n"
       "  lmdbapi schema data/permits",
       Target::kBackend,
       Access::kReadOnly,
       {},
       0,
       0,
       RunSchema},
  };
}

std::vector<Command> RemoteCommands() {
#ifdef LMDBAPI_CLI_HAS_REMOTE_COMMANDS
  Command call{"call",
               "call SERVICE/METHOD JSON",
               "Calls any method of the server by reflection.\n"
               "  lmdbapi call --server=127.0.0.1:50051 "
               "lmdbapi.examples.permits.Permits/Get '{\"uuid\":\"...\"}'",
               Target::kRemoteOnly,
               Access::kReadOnly,
               {},
               0,
               0,
               nullptr};
  call.remote_run = RunCall;
  Command services{"list-services",
                   "list-services",
                   "Lists the server's services by reflection.\n"
                   "  lmdbapi list-services --server=127.0.0.1:50051",
                   Target::kRemoteOnly,
                   Access::kReadOnly,
                   {},
                   0,
                   0,
                   nullptr};
  services.remote_run = RunListServices;
  Command describe{"describe",
                   "describe NAME",
                   "Describes a service, method or message by reflection.\n"
                   "  lmdbapi describe --server=127.0.0.1:50051 "
                   "lmdbapi.examples.permits.Permits",
                   Target::kRemoteOnly,
                   Access::kReadOnly,
                   {},
                   0,
                   0,
                   nullptr};
  describe.remote_run = RunDescribe;
  Command replicas{
      "replicas",
      "replicas [list | add ID RAFT_HOST:PORT CLIENT_HOST:PORT | remove ID]",
      "Lists a replicated shard's replicas, adds one (started with --join) "
      "or removes one, through any replica (docs/REPLICATION.md).\n"
      "  lmdbapi replicas --server=127.0.0.1:50051 add 4 10.0.0.4:7000 "
      "10.0.0.4:50051",
      Target::kRemoteOnly,
      Access::kWritable,
      {},
      0,
      0,
      nullptr};
  replicas.remote_run = RunReplicas;
  return {call, services, describe, replicas};
#else
  return {};
#endif
}

}  // namespace

const std::vector<Command>& Commands() {
  static const std::vector<Command>* commands = [] {
    auto* all = new std::vector<Command>;
    for (auto part : {BackendCommands(), TransferCommands(), RecordCommands(),
                      QueryCommands(), RemoteCommands()}) {
      all->insert(all->end(), part.begin(), part.end());
    }
    return all;
  }();
  return *commands;
}

}  // namespace lmdbapi::cli
