# System dependencies, all from Debian packages (see scripts/install-deps).
find_package(PkgConfig REQUIRED)
pkg_check_modules(LMDB REQUIRED IMPORTED_TARGET lmdb)
# Replicated shards: libraft 0.15 and libuv (server/replication).
pkg_check_modules(RAFT REQUIRED IMPORTED_TARGET raft libuv)
find_package(Protobuf REQUIRED)  # MODULE mode: CONFIG mode fails on Debian
find_package(absl CONFIG REQUIRED)
if(LMDBAPI_BUILD_TESTS)
  find_package(GTest CONFIG REQUIRED)
endif()
find_package(Threads REQUIRED)
find_package(gRPC CONFIG REQUIRED)
find_package(OpenSSL REQUIRED)  # libcrypto: JWT signatures (server/access)

# The REST gateway: Debian's Go (GOPATH mode) and npm for Swagger UI.
find_program(LMDBAPI_GO go REQUIRED)
find_program(LMDBAPI_NPM npm REQUIRED)
