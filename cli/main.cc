// lmdbapi: the command line of lmdbapi's data directories and servers
// (cli/commands.h; docs/CLI.md).
#include "cli/commands.h"

int main(int argc, char** argv) { return lmdbapi::cli::RunCli(argc, argv); }
