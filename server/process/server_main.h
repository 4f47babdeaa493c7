// The lmdbapi server's main(): parses the configuration, opens the
// database, serves every table of the schema on one port (with reflection
// and health), and drains on SIGTERM/SIGINT.
#ifndef LMDBAPI_SERVER_PROCESS_SERVER_MAIN_H_
#define LMDBAPI_SERVER_PROCESS_SERVER_MAIN_H_

#include "server/schema.h"

namespace lmdbapi::server {

int ServerMain(int argc, char** argv, Schema schema);

}  // namespace lmdbapi::server

#endif  // LMDBAPI_SERVER_PROCESS_SERVER_MAIN_H_
