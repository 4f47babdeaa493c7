# Code generation with the system protoc, as in the Bazel build: import
# paths are rooted at the project's root, so a header is included as
# "tests/storage/test_records.pb.h". lmdbapi's own protos are imported as
# "proto/lmdbapi/options.proto" from LMDBAPI_PROTO_ROOT (lmdbapi's source
# tree, or <prefix>/include/lmdbapi when lmdbapi is installed).
set(LMDBAPI_GOOGLEAPIS
    /usr/share/gocode/src/github.com/grpc-ecosystem/grpc-gateway/third_party/googleapis
    CACHE PATH "Directory holding google/api/annotations.proto")

# lmdbapi_cc_proto(<target> PROTOS <file.proto>... [ROOT <dir>] [GRPC]
#                  [IMPORT_DIRS <dir>...] [DEPS <target>...])
# PROTOS are paths relative to ROOT (default: the repository root) or
# absolute paths under it. GRPC also runs grpc_cpp_plugin.
function(lmdbapi_cc_proto target)
  cmake_parse_arguments(ARG "GRPC" "ROOT" "PROTOS;DEPS;IMPORT_DIRS" ${ARGN})
  if(NOT ARG_ROOT)
    set(ARG_ROOT ${PROJECT_SOURCE_DIR})
  endif()
  set(includes -I${ARG_ROOT} -I${PROJECT_SOURCE_DIR} -I${PROJECT_BINARY_DIR}
      -I${LMDBAPI_PROTO_ROOT} -I${LMDBAPI_GOOGLEAPIS} -I/usr/include)
  foreach(dir ${ARG_IMPORT_DIRS})
    list(APPEND includes -I${dir})
  endforeach()
  set(outputs)
  foreach(proto ${ARG_PROTOS})
    if(IS_ABSOLUTE ${proto})
      file(RELATIVE_PATH rel ${ARG_ROOT} ${proto})
      set(abs ${proto})
    else()
      set(rel ${proto})
      set(abs ${ARG_ROOT}/${proto})
    endif()
    string(REGEX REPLACE "\\.proto$" "" base ${rel})
    set(outs ${PROJECT_BINARY_DIR}/${base}.pb.cc ${PROJECT_BINARY_DIR}/${base}.pb.h)
    set(args --cpp_out=${PROJECT_BINARY_DIR})
    set(deps ${abs} protobuf::protoc)
    if(ARG_GRPC)
      list(APPEND outs ${PROJECT_BINARY_DIR}/${base}.grpc.pb.cc
           ${PROJECT_BINARY_DIR}/${base}.grpc.pb.h)
      list(APPEND args --grpc_out=${PROJECT_BINARY_DIR}
           --plugin=protoc-gen-grpc=$<TARGET_FILE:gRPC::grpc_cpp_plugin>)
    endif()
    add_custom_command(
      OUTPUT ${outs}
      COMMAND protobuf::protoc ${includes} ${args} ${rel}
      WORKING_DIRECTORY ${ARG_ROOT}
      DEPENDS ${deps}
      COMMENT "protoc ${rel}")
    list(APPEND outputs ${outs})
  endforeach()
  add_library(${target} ${outputs})
  target_include_directories(${target} PUBLIC $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}>
                             $<INSTALL_INTERFACE:include/lmdbapi>)
  target_link_libraries(${target} PUBLIC protobuf::libprotobuf ${ARG_DEPS})
  if(ARG_GRPC)
    target_link_libraries(${target} PUBLIC gRPC::grpc++)
  endif()
endfunction()
