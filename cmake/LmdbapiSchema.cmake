# lmdbapi_schema(<name> PROTO <schema.proto>)
#
# The one rule that turns a user's schema into a service. From
# <dir>/<file>.proto (a path under the repository, or absolute under
# CMAKE_SOURCE_DIR) it generates with protoc-gen-lmdbapi:
#   <dir>/<file>_service.proto           the service .proto for clients
#   <dir>/<file>.lmdbapi.{h,cc}          table bindings + service code
# and builds:
#   <name>_lmdbapi     library: the schema's messages, services and bindings
#   <name>-server      the schema's server binary (see --help)
# The service .proto lands in ${PROJECT_BINARY_DIR}/<dir>/.
function(lmdbapi_schema name)
  cmake_parse_arguments(ARG "" "PROTO" "" ${ARGN})
  get_filename_component(abs ${ARG_PROTO} ABSOLUTE)
  file(RELATIVE_PATH rel ${PROJECT_SOURCE_DIR} ${abs})
  string(REGEX REPLACE "\\.proto$" "" base ${rel})
  set(gen ${PROJECT_BINARY_DIR})
  add_custom_command(
    OUTPUT ${gen}/${base}_service.proto ${gen}/${base}.lmdbapi.h
           ${gen}/${base}.lmdbapi.cc ${gen}/${base}.lmdbapi_main.cc
    COMMAND protobuf::protoc -I${PROJECT_SOURCE_DIR} -I${LMDBAPI_GOOGLEAPIS} -I/usr/include
            --plugin=protoc-gen-lmdbapi=$<TARGET_FILE:protoc-gen-lmdbapi>
            --lmdbapi_out=${gen} ${rel}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    DEPENDS ${abs} protoc-gen-lmdbapi protobuf::protoc
    COMMENT "protoc-gen-lmdbapi ${rel}")
  lmdbapi_cc_proto(${name}_schema_proto PROTOS ${rel} DEPS lmdbapi_protos)
  lmdbapi_cc_proto(${name}_service_proto ROOT ${gen} GRPC
                   PROTOS ${base}_service.proto DEPS ${name}_schema_proto)
  add_library(${name}_lmdbapi ${gen}/${base}.lmdbapi.cc)
  target_link_libraries(${name}_lmdbapi PUBLIC ${name}_service_proto lmdbapi_server)
  add_executable(${name}-server ${gen}/${base}.lmdbapi_main.cc)
  target_link_libraries(${name}-server ${name}_lmdbapi)
endfunction()
