// The framework of `lmdbapi`: parses the command line, opens the backend a
// command works on, runs it, and turns its status into an exit code.
#include "cli/commands.h"

#include <unistd.h>

#include <cstdlib>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "base/status_macros.h"
#include "cli/local_backend.h"
#include "server/process/allocator.h"
#include "version/version.h"

// The server backend comes with the remote side's commands
// (cli/remote_backend.cc, cli/remote_commands.cc).
#if __has_include("cli/remote_commands.h")
#define LMDBAPI_CLI_HAS_REMOTE 1
#endif

namespace lmdbapi::cli {
namespace {

constexpr int kExitError = 1;
constexpr int kExitUsage = 2;

// The flags every command that can reach a server takes.
const std::vector<std::string>& RemoteFlags() {
  static const auto* flags = new std::vector<std::string>{
      "server", "token", "tls!", "ca_file", "cert_file", "key_file", "timeout"};
  return *flags;
}

const Command* FindCommand(const std::string& name) {
  for (const Command& command : Commands()) {
    if (name == command.name) return &command;
  }
  return nullptr;
}

std::string Overview() {
  std::string text =
      "usage: lmdbapi SUBCOMMAND [DATA_DIR | --server=ADDR] [flags] [args]\n"
      "       lmdbapi help [SUBCOMMAND]\n\nsubcommands:\n";
  for (const Command& command : Commands()) {
    absl::StrAppend(&text, "  ", command.usage, "\n");
  }
  absl::StrAppend(
      &text,
      "\nserver flags: --server=HOST:PORT --token=T (or $LMDBAPI_TOKEN) --tls "
      "--ca_file=F --cert_file=F --key_file=F --timeout=30s\n"
      "common flags: --quiet (no progress output)\n"
      "See docs/CLI.md.\n");
  return text;
}

// `text` with its lines longer than kWidth broken between words; lines
// that start with two spaces (examples) are left as they are.
std::string Wrapped(const std::string& text) {
  constexpr size_t kWidth = 78;
  std::string out;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::StartsWith(line, "  ")) {
      absl::StrAppend(&out, line, "\n");
      continue;
    }
    size_t column = 0;
    for (absl::string_view word : absl::StrSplit(line, ' ')) {
      if (column > 0 && column + 1 + word.size() > kWidth) {
        out += '\n';
        column = 0;
      } else if (column > 0) {
        out += ' ';
        ++column;
      }
      absl::StrAppend(&out, word);
      column += word.size();
    }
    out += '\n';
  }
  return out;
}

std::string CommandHelp(const Command& command) {
  std::string where = command.target == Target::kLocalOnly ? ""
                      : command.target == Target::kRemoteOnly
                          ? " --server=ADDR"
                          : " DATA_DIR|--server=ADDR";
  std::string usage = command.usage;
  size_t space = usage.find(' ');
  usage = space == std::string::npos ? usage + where
                                     : absl::StrCat(usage.substr(0, space),
                                                    where, usage.substr(space));
  return absl::StrCat("usage: lmdbapi ", usage, "\n\n", Wrapped(command.help));
}

// Is `name` among `flags`; `boolean`: marked with '!'.
bool FindFlag(const std::vector<std::string>& flags, const std::string& name,
              bool* boolean) {
  for (const std::string& flag : flags) {
    bool is_bool = absl::EndsWith(flag, "!");
    if (flag.substr(0, flag.size() - is_bool) == name) {
      *boolean = is_bool;
      return true;
    }
  }
  return false;
}

// Splits args into flags and positional arguments (after "--": all
// positional). Unknown flags are a usage error, or with `pass_unknown`
// positional (the remote side's commands parse their own).
absl::Status SplitArgs(const Command& command,
                       const std::vector<std::string>& args,
                       Invocation& invocation, bool pass_unknown) {
  // Local-only commands take them too, to refuse --server in so many words.
  std::vector<std::string> known = command.flags;
  known.insert(known.end(), RemoteFlags().begin(), RemoteFlags().end());
  known.push_back("quiet!");
  known.push_back("help!");
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      invocation.args.insert(invocation.args.end(), args.begin() + i + 1,
                             args.end());
      break;
    }
    if (!absl::StartsWith(arg, "--")) {
      invocation.args.push_back(arg);
      continue;
    }
    size_t equals = arg.find('=');
    std::string name = arg.substr(
        2, equals == std::string::npos ? std::string::npos : equals - 2);
    bool boolean = false;
    if (!FindFlag(known, name, &boolean)) {
      if (pass_unknown) {
        invocation.args.push_back(arg);
        continue;
      }
      return UsageError(absl::StrCat("unknown flag --", name));
    }
    if (equals != std::string::npos) {
      invocation.flags[name] = arg.substr(equals + 1);
    } else if (boolean) {
      invocation.flags[name] = "true";
    } else if (i + 1 < args.size()) {
      invocation.flags[name] = args[++i];
    } else {
      return UsageError(absl::StrCat("--", name, " needs a value"));
    }
  }
  return absl::OkStatus();
}

absl::Status ParseRemote(Invocation& invocation) {
  RemoteOptions& remote = invocation.remote;
  remote.address = invocation.Flag("server");
  const char* token = std::getenv("LMDBAPI_TOKEN");
  remote.token = invocation.Flag("token", token == nullptr ? "" : token);
  remote.tls = invocation.BoolFlag("tls");
  remote.ca_file = invocation.Flag("ca_file");
  remote.cert_file = invocation.Flag("cert_file");
  remote.key_file = invocation.Flag("key_file");
  if (invocation.Has("timeout") &&
      !absl::ParseDuration(invocation.Flag("timeout"), &remote.timeout)) {
    return UsageError(absl::StrCat("--timeout: '", invocation.Flag("timeout"),
                                   "' is not a duration (e.g. 30s)"));
  }
  if (invocation.Has("server") && remote.address.empty()) {
    return UsageError("--server needs HOST:PORT");
  }
  return absl::OkStatus();
}

// DATA_DIR (the first positional argument) unless --server.
absl::Status TakeTarget(const Command& command, Invocation& invocation) {
  bool remote = !invocation.remote.address.empty();
  if (command.target == Target::kLocalOnly && remote) {
    return UsageError(absl::StrCat(
        command.name,
        " works on data directories only: a running server holds its "
        "database open; stop it, restore into a new directory, and start "
        "the server on that"));
  }
  if (command.target == Target::kRemoteOnly && !remote) {
    return UsageError(absl::StrCat(command.name, " needs --server=HOST:PORT"));
  }
  if (command.target == Target::kBackend && !remote) {
    if (invocation.args.empty()) {
      return UsageError("give a data directory or --server=HOST:PORT");
    }
    invocation.data_dir = invocation.args.front();
    invocation.args.erase(invocation.args.begin());
  }
  return absl::OkStatus();
}

absl::StatusOr<Invocation> Parse(const Command& command,
                                 const std::vector<std::string>& args) {
  Invocation invocation;
  invocation.command = command.name;
  bool remote_only = command.target == Target::kRemoteOnly;
  LMDBAPI_RETURN_IF_ERROR(SplitArgs(command, args, invocation, remote_only));
  LMDBAPI_RETURN_IF_ERROR(ParseRemote(invocation));
  invocation.quiet = invocation.BoolFlag("quiet");
  LMDBAPI_RETURN_IF_ERROR(TakeTarget(command, invocation));
  if (remote_only) return invocation;
  size_t n = invocation.args.size();
  if (n < command.min_args || n > command.max_args) {
    return UsageError(absl::StrCat(
        command.name, " takes ",
        command.min_args == command.max_args
            ? absl::StrCat(command.min_args)
            : absl::StrCat(command.min_args, " to ", command.max_args),
        " argument", command.max_args == 1 ? "" : "s", " after ",
        invocation.remote.address.empty() ? "the data directory" : "--server",
        ", not ", n));
  }
  return invocation;
}

absl::StatusOr<std::unique_ptr<Backend>> OpenBackend(
    const Command& command, const Invocation& invocation) {
  if (!invocation.remote.address.empty()) {
#ifdef LMDBAPI_CLI_HAS_REMOTE
    return OpenRemoteBackend(invocation.remote);
#else
    return absl::UnimplementedError(
        "this lmdbapi was built without the server backend (--server)");
#endif
  }
  absl::StatusOr<std::unique_ptr<LocalBackend>> local = LocalBackend::Open(
      invocation.data_dir, command.access == Access::kWritable);
  if (!local.ok()) return local.status();
  return std::unique_ptr<Backend>(*std::move(local));
}

int Help(const std::vector<std::string>& args) {
  if (args.empty()) {
    fputs(Overview().c_str(), stdout);
    return 0;
  }
  const Command* command = FindCommand(args[0]);
  if (command == nullptr) {
    fprintf(stderr, "lmdbapi help: no subcommand '%s'\n%s", args[0].c_str(),
            Overview().c_str());
    return kExitUsage;
  }
  fputs(CommandHelp(*command).c_str(), stdout);
  return 0;
}

int Fail(const Command& command, const absl::Status& status) {
  if (IsUsageError(status)) {
    fprintf(stderr, "lmdbapi %s: %s\n%s", command.name,
            std::string(status.message()).c_str(),
            CommandHelp(command).c_str());
    return kExitUsage;
  }
  fprintf(stderr, "lmdbapi %s: %s: %s\n", command.name,
          absl::StatusCodeToString(status.code()).c_str(),
          std::string(status.message()).c_str());
  return kExitError;
}

int Run(const Command& command, const std::vector<std::string>& args) {
  absl::StatusOr<Invocation> invocation = Parse(command, args);
  if (!invocation.ok()) return Fail(command, invocation.status());
  if (invocation->BoolFlag("help")) return Help({command.name});
  if (command.remote_run != nullptr) {
    return command.remote_run(invocation->remote, invocation->args);
  }
  std::unique_ptr<Backend> backend;
  if (command.target == Target::kBackend) {
    absl::StatusOr<std::unique_ptr<Backend>> opened =
        OpenBackend(command, *invocation);
    if (!opened.ok()) return Fail(command, opened.status());
    backend = *std::move(opened);
    invocation->backend = backend.get();
  }
  absl::Status status = command.run(*invocation);
  if (!status.ok()) return Fail(command, status);
  return 0;
}

}  // namespace

int RunCli(int argc, char** argv) {
  server::BoundAllocatorCaches();
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    fputs(Overview().c_str(), stderr);
    return kExitUsage;
  }
  std::string name = args[0];
  args.erase(args.begin());
  if (name == "help" || name == "--help" || name == "-h") return Help(args);
  if (name == "version" || name == "--version") {
    printf("lmdbapi %s\n", Version());
    return 0;
  }
  const Command* command = FindCommand(name);
  if (command == nullptr) {
    fprintf(stderr, "lmdbapi: no subcommand '%s'\n%s", name.c_str(),
            Overview().c_str());
    return kExitUsage;
  }
  return Run(*command, args);
}

}  // namespace lmdbapi::cli
