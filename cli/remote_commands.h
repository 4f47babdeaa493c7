// The subcommands that speak to a server by reflection alone, as grpcurl
// does (Debian 12 does not package grpcurl):
//
//   lmdbapi call --server ADDR SERVICE/METHOD [JSON|-]
//   lmdbapi list-services --server ADDR
//   lmdbapi describe --server ADDR [NAME]
//   lmdbapi replicas --server ADDR [list | add ID RAFT CLIENT | remove ID]
//
// Each takes the options the framework parsed (--server, --token, --tls,
// --ca, --cert, --key, --timeout) and the positional arguments after the
// subcommand's name, prints to stdout, reports errors on stderr, and returns
// the process's exit status: 0 done, 1 the call or connection failed, 2 bad
// arguments.
#ifndef LMDBAPI_CLI_REMOTE_COMMANDS_H_
#define LMDBAPI_CLI_REMOTE_COMMANDS_H_

#include <string>
#include <vector>

#include "cli/remote_backend.h"

namespace lmdbapi::cli {

// args: {"SERVICE/METHOD", JSON}. SERVICE is a full name
// (lmdbapi.examples.permits.Permits) or, when unique, its last part
// (Permits); "SERVICE.METHOD" works too. JSON: the request in protobuf's
// JSON mapping; "-" or absent: read from stdin. For a client-streaming
// method, stdin (or JSON) holds one request per line. Prints each response
// as one line of JSON (protobuf's JSON mapping, as grpcurl prints it).
int RunCall(const RemoteOptions& options, const std::vector<std::string>& args);

// args: {}. Prints the full name of each service the server serves, one a
// line.
int RunListServices(const RemoteOptions& options,
                    const std::vector<std::string>& args);

// args: {NAME} or {}. Prints the service, method (SERVICE/METHOD or
// SERVICE.METHOD), message or enum NAME as .proto text; with no NAME, every
// service.
int RunDescribe(const RemoteOptions& options,
                const std::vector<std::string>& args);

// args: {} or {"list"}, {"add", ID, RAFT_HOST:PORT, CLIENT_HOST:PORT} or
// {"remove", ID}: a replicated shard's replicas, listed or changed through
// any replica (replica_commands.cc). Prints the group.
int RunReplicas(const RemoteOptions& options,
                const std::vector<std::string>& args);

}  // namespace lmdbapi::cli

#endif  // LMDBAPI_CLI_REMOTE_COMMANDS_H_
