# `cmake --install <build> --prefix <prefix>` puts under <prefix>:
#   bin/protoc-gen-lmdbapi                       the protoc plugin (on PATH for
#                                                plain protoc and buf)
#   include/lmdbapi/...                          the libraries' headers, by their
#                                                repository path ("server/...",
#                                                "storage/..."), lmdbapi's .proto
#                                                files and their generated headers
#                                                (proto/lmdbapi/options.proto: one
#                                                -I<prefix>/include/lmdbapi)
#   lib/liblmdbapi_*.a                           the static libraries
#   lib/cmake/lmdbapi/                           the CMake package: targets
#                                                lmdbapi::*, lmdbapi_schema()
#   share/lmdbapi/gateway/                       the gateway library (*.go) and
#                                                build-gateway; share/lmdbapi/VERSION
#   share/lmdbapi/swagger-ui/                    the docs page's assets
#   share/doc/lmdbapi/                           LICENSE, CHANGELOG.md, README.md,
#                                                docs/
# and `cpack` (run in the build directory) makes lmdbapi_<version>_amd64.deb
# of the same files under /usr.
include(CMakePackageConfigHelpers)

set(lmdbapi_exported lmdbapi_base lmdbapi_model lmdbapi_version lmdbapi_storage lmdbapi_server lmdbapi_protos
    lmdbapi_googleapis lmdbapi_error_info_proto lmdbapi_rpc_status_proto lmdbapi_reflection_proto
    lmdbapi_admin_proto lmdbapi_health_proto lmdbapi_policy_proto)
foreach(t ${lmdbapi_exported})
  string(REGEX REPLACE "^lmdbapi_" "" short ${t})
  set_target_properties(${t} PROPERTIES EXPORT_NAME ${short})
endforeach()
install(TARGETS ${lmdbapi_exported} protoc-gen-lmdbapi EXPORT lmdbapiTargets
        RUNTIME DESTINATION bin ARCHIVE DESTINATION lib LIBRARY DESTINATION lib)
install(EXPORT lmdbapiTargets NAMESPACE lmdbapi:: DESTINATION lib/cmake/lmdbapi)

# Headers and protos, by the path they are included/imported with.
file(GLOB_RECURSE lmdbapi_headers RELATIVE ${PROJECT_SOURCE_DIR}
     ${PROJECT_SOURCE_DIR}/base/*.h ${PROJECT_SOURCE_DIR}/model/*.h
     ${PROJECT_SOURCE_DIR}/storage/*.h
     ${PROJECT_SOURCE_DIR}/server/*.h)
foreach(header ${lmdbapi_headers})
  get_filename_component(dir ${header} DIRECTORY)
  install(FILES ${header} DESTINATION include/lmdbapi/${dir})
endforeach()
install(FILES version/version.h DESTINATION include/lmdbapi/version)
install(FILES proto/lmdbapi/options.proto proto/lmdbapi/admin.proto proto/lmdbapi/policy.proto
              proto/lmdbapi/error_info.proto
        DESTINATION include/lmdbapi/proto/lmdbapi)
install(DIRECTORY ${PROJECT_BINARY_DIR}/proto/lmdbapi DESTINATION include/lmdbapi/proto
        FILES_MATCHING PATTERN "*.pb.h")
install(DIRECTORY ${PROJECT_BINARY_DIR}/google ${PROJECT_BINARY_DIR}/grpc_reflection_v1alpha
                  ${PROJECT_BINARY_DIR}/grpc
        DESTINATION include/lmdbapi FILES_MATCHING PATTERN "*.pb.h")
# The gateway's sources and builder (build-gateway reads ../VERSION).
file(GLOB gateway_go ${PROJECT_SOURCE_DIR}/gateway/*.go)
list(FILTER gateway_go EXCLUDE REGEX "_test\\.go$")
install(FILES ${gateway_go} DESTINATION share/lmdbapi/gateway)
install(PROGRAMS gateway/build-gateway DESTINATION share/lmdbapi/gateway)
install(FILES VERSION DESTINATION share/lmdbapi)
foreach(f swagger-ui.css swagger-ui-bundle.js swagger-ui-standalone-preset.js
          favicon-16x16.png favicon-32x32.png)
  install(FILES ${LMDBAPI_SWAGGER_UI}/${f} DESTINATION share/lmdbapi/swagger-ui)
endforeach()
install(FILES LICENSE CHANGELOG.md README.md DESTINATION share/doc/lmdbapi)
install(DIRECTORY docs DESTINATION share/doc/lmdbapi)  # the README's links

# The package: lmdbapiConfig.cmake finds the dependencies and defines
# lmdbapi_schema() (cmake/LmdbapiProto.cmake, cmake/LmdbapiAllocator.cmake,
# cmake/LmdbapiSchema.cmake).
set(LMDBAPI_INSTALL_INCLUDE include/lmdbapi)
set(LMDBAPI_INSTALL_GATEWAY share/lmdbapi/gateway)
set(LMDBAPI_INSTALL_SWAGGER_UI share/lmdbapi/swagger-ui)
configure_package_config_file(cmake/lmdbapiConfig.cmake.in
  ${PROJECT_BINARY_DIR}/lmdbapiConfig.cmake INSTALL_DESTINATION lib/cmake/lmdbapi
  PATH_VARS LMDBAPI_INSTALL_INCLUDE LMDBAPI_INSTALL_GATEWAY LMDBAPI_INSTALL_SWAGGER_UI)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/lmdbapiConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)  # 0.x: a minor release may break
install(FILES ${PROJECT_BINARY_DIR}/lmdbapiConfig.cmake
        ${PROJECT_BINARY_DIR}/lmdbapiConfigVersion.cmake
        cmake/LmdbapiProto.cmake cmake/LmdbapiAllocator.cmake cmake/LmdbapiSchema.cmake
        DESTINATION lib/cmake/lmdbapi)

# cpack -G DEB: what a machine needs to build a schema's server and gateway
# with the installed package (the runtime libraries come with the -dev ones).
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME lmdbapi)
set(CPACK_PACKAGE_VENDOR lmdbapi)
set(CPACK_PACKAGE_CONTACT "lmdbapi maintainers <lmdbapi@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "C++ data service generated from a protobuf schema (LMDB, gRPC, REST)")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # lmdbapi_<version>_amd64.deb
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)   # protoc-gen-lmdbapi's libraries
set(CPACK_DEBIAN_PACKAGE_DEPENDS "g++, cmake, ninja-build, pkg-config, liblmdb-dev, libraft-dev, libuv1-dev, libtcmalloc-minimal4, libabsl-dev, \
libprotobuf-dev, libprotoc-dev, protobuf-compiler, libgrpc++-dev, protobuf-compiler-grpc, libssl-dev, \
golang-go, golang-grpc-gateway, golang-github-grpc-ecosystem-grpc-gateway-dev, \
golang-goprotobuf-dev, golang-google-grpc-dev, golang-google-genproto-dev, \
golang-github-prometheus-client-golang-dev")
include(CPack)
