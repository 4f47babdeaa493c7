// lmdbapi: the command line of lmdbapi's data directories and servers
// (cli/commands.h; docs/CLI.md).
#include "cli/commands.h"
#include "server/process/peer_channel.h"

int main(int argc, char** argv) {
  return lmdbapi::server::AwaitGrpcShutdown(lmdbapi::cli::RunCli(argc, argv));
}
