// The subcommands of `lmdbapi` and how they are invoked:
//
//   lmdbapi SUBCOMMAND [DATA_DIR | --server ADDR] [flags] [args]
//
// The framework (cli/commands.cc) parses flags, opens the backend the
// command works on (a data directory, or a server with --server) and maps
// errors to exit codes: 2 for a usage error (with the usage line), 1 for any
// other error (its message on stderr), 0 on success.
#ifndef LMDBAPI_CLI_COMMANDS_H_
#define LMDBAPI_CLI_COMMANDS_H_

#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cli/backend.h"
#include "cli/remote_backend.h"

namespace lmdbapi::cli {

// One parsed command line.
struct Invocation {
  std::string command;                       // "export"
  std::string data_dir;                      // empty with --server
  RemoteOptions remote;                      // remote.address: --server
  std::vector<std::string> args;             // positional, after DATA_DIR
  std::map<std::string, std::string> flags;  // --name=value; "true" for bool
  Backend* backend = nullptr;  // opened by the framework when it needs one
  bool quiet = false;          // --quiet: no progress output

  bool Has(const std::string& flag) const { return flags.count(flag) > 0; }
  std::string Flag(const std::string& flag,
                   const std::string& otherwise = "") const;
  bool BoolFlag(const std::string& flag) const;
  // The flag as a number; INVALID_ARGUMENT (a usage error) naming it.
  absl::StatusOr<uint64_t> UintFlag(const std::string& flag,
                                    uint64_t otherwise) const;
  // The table of --table; a usage error when it is missing.
  absl::StatusOr<const TableInfo*> Table() const;
  // Progress on stderr for `what` ("import permits"); nullptr with --quiet.
  std::unique_ptr<Progress> NewProgress(const std::string& what) const;
};

// What a command works on.
enum class Target {
  kBackend,     // a data directory or --server
  kLocalOnly,   // paths only (restore): refuses --server
  kRemoteOnly,  // --server only (call, list-services, describe)
};

// How a command opens a data directory.
enum class Access { kReadOnly, kWritable };

struct Command {
  const char* name;
  const char* usage;  // "get --table=T KEY"
  const char* help;   // what it does, with an example
  Target target;
  Access access;
  // The flags it takes beyond the common ones; a trailing '!' marks a
  // boolean flag ("skip_bad!").
  std::vector<std::string> flags;
  size_t min_args, max_args;  // positional arguments after DATA_DIR
  absl::Status (*run)(const Invocation& invocation);
  // kRemoteOnly: the remote side's command, given every argument it did
  // not parse (cli/remote_commands.h).
  int (*remote_run)(const RemoteOptions& options,
                    const std::vector<std::string>& args) = nullptr;
};

// A usage error: the command line is wrong (exit code 2).
absl::Status UsageError(const std::string& message);
bool IsUsageError(const absl::Status& status);

// The subcommands, in the order help lists them (cli/command_table.cc).
const std::vector<Command>& Commands();

// The commands' bodies (cli/*_commands.cc).
absl::Status RunStat(const Invocation& invocation);
absl::Status RunVerify(const Invocation& invocation);
absl::Status RunRebuild(const Invocation& invocation);
absl::Status RunBackup(const Invocation& invocation);
absl::Status RunRestore(const Invocation& invocation);
absl::Status RunExport(const Invocation& invocation);
absl::Status RunImport(const Invocation& invocation);
absl::Status RunGet(const Invocation& invocation);
absl::Status RunPut(const Invocation& invocation);
absl::Status RunDelete(const Invocation& invocation);
absl::Status RunList(const Invocation& invocation);
absl::Status RunCount(const Invocation& invocation);
absl::Status RunWatch(const Invocation& invocation);
absl::Status RunSchema(const Invocation& invocation);

// `lmdbapi` itself: argv as main gets it; returns the exit code.
int RunCli(int argc, char** argv);

}  // namespace lmdbapi::cli

#endif  // LMDBAPI_CLI_COMMANDS_H_
