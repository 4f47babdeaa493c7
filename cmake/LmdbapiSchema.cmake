# lmdbapi_schema(<name> PROTO <schema.proto>)
#
# The one rule that turns a user's schema into a service, the same in
# lmdbapi's own tree and in a project that did find_package(lmdbapi CONFIG).
# From <dir>/<file>.proto (relative to the current source directory, or
# absolute; under the project's root) it generates with protoc-gen-lmdbapi:
#   <dir>/<file>_service.proto           the service .proto for clients
#   <dir>/<file>.lmdbapi.{h,cc}          table bindings + service code
#   <dir>/<file>.gateway_main.go         main() of the REST gateway
# and builds:
#   <name>_lmdbapi     library: the schema's messages, services and bindings
#   <name>-server      the schema's server binary (see --help)
#   <name>-gateway     the schema's REST gateway (Go; see -help), with its
#                      OpenAPI description and Swagger UI embedded (target
#                      <name>_gateway)
# <dir> is the schema's path relative to the project's root
# (PROJECT_SOURCE_DIR); the generated files land in ${PROJECT_BINARY_DIR}/<dir>/,
# the binaries in the current binary directory.
#
# Inputs (set by lmdbapi's CMakeLists.txt, or by lmdbapiConfig.cmake):
#   LMDBAPI_PROTO_ROOT    the -I that holds proto/lmdbapi/options.proto
#   LMDBAPI_GATEWAY_DIR   build-gateway and the gateway library's *.go
#   LMDBAPI_SWAGGER_UI    swagger-ui-dist's files
#   lmdbapi::protos, lmdbapi::server, lmdbapi::protoc-gen-lmdbapi (targets)
function(lmdbapi_schema name)
  cmake_parse_arguments(ARG "" "PROTO" "" ${ARGN})
  get_filename_component(abs ${ARG_PROTO} ABSOLUTE)
  file(RELATIVE_PATH rel ${PROJECT_SOURCE_DIR} ${abs})
  string(REGEX REPLACE "\\.proto$" "" base ${rel})
  set(gen ${PROJECT_BINARY_DIR})
  add_custom_command(
    OUTPUT ${gen}/${base}_service.proto ${gen}/${base}.lmdbapi.h
           ${gen}/${base}.lmdbapi.cc ${gen}/${base}.lmdbapi_main.cc
           ${gen}/${base}.gateway_main.go
    COMMAND protobuf::protoc -I${PROJECT_SOURCE_DIR} -I${LMDBAPI_PROTO_ROOT}
            -I${LMDBAPI_GOOGLEAPIS} -I/usr/include
            --plugin=protoc-gen-lmdbapi=$<TARGET_FILE:lmdbapi::protoc-gen-lmdbapi>
            --lmdbapi_out=${gen} ${rel}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    DEPENDS ${abs} lmdbapi::protoc-gen-lmdbapi protobuf::protoc
    COMMENT "protoc-gen-lmdbapi ${rel}")
  lmdbapi_cc_proto(${name}_schema_proto PROTOS ${rel} DEPS lmdbapi::protos)
  lmdbapi_cc_proto(${name}_service_proto ROOT ${gen} GRPC
                   PROTOS ${base}_service.proto DEPS ${name}_schema_proto)
  add_library(${name}_lmdbapi ${gen}/${base}.lmdbapi.cc)
  target_link_libraries(${name}_lmdbapi PUBLIC ${name}_service_proto lmdbapi::server)
  add_executable(${name}-server ${gen}/${base}.lmdbapi_main.cc)
  target_link_libraries(${name}-server ${name}_lmdbapi)
  lmdbapi_link_allocator(${name}-server)

  set(gateway ${CMAKE_CURRENT_BINARY_DIR}/${name}-gateway)
  add_custom_command(
    OUTPUT ${gateway}
    COMMAND ${LMDBAPI_GATEWAY_DIR}/build-gateway --out ${gateway}
            --work ${CMAKE_CURRENT_BINARY_DIR}/${name}_gateway.work --schema ${rel}
            --gen_root ${gen} --swagger_ui ${LMDBAPI_SWAGGER_UI}
            --source_root ${PROJECT_SOURCE_DIR} --proto_root ${LMDBAPI_PROTO_ROOT}
    DEPENDS ${gen}/${base}_service.proto ${gen}/${base}.gateway_main.go
            ${LMDBAPI_GATEWAY_SOURCES} ${LMDBAPI_GATEWAY_DIR}/../VERSION
            ${LMDBAPI_SWAGGER_UI}/swagger-ui-bundle.js
    COMMENT "go build ${name}-gateway")
  add_custom_target(${name}_gateway ALL DEPENDS ${gateway})
  if(TARGET lmdbapi_swagger_ui)  # lmdbapi's own tree: npm fetches it first
    add_dependencies(${name}_gateway lmdbapi_swagger_ui)
  endif()
endfunction()
