# lmdbapi_cc_proto(<target> PROTOS <file.proto>...)
# Generates C++ for .proto files of this repository with the system protoc.
# Import paths are rooted at the repository root, as in the Bazel build, so a
# header is included as "tests/storage/test_records.pb.h".
function(lmdbapi_cc_proto target)
  cmake_parse_arguments(ARG "" "" "PROTOS;DEPS" ${ARGN})
  set(srcs)
  set(hdrs)
  foreach(proto ${ARG_PROTOS})
    get_filename_component(abs ${proto} ABSOLUTE)
    file(RELATIVE_PATH rel ${PROJECT_SOURCE_DIR} ${abs})
    string(REGEX REPLACE "\\.proto$" "" base ${rel})
    set(cc ${PROJECT_BINARY_DIR}/${base}.pb.cc)
    set(h ${PROJECT_BINARY_DIR}/${base}.pb.h)
    add_custom_command(
      OUTPUT ${cc} ${h}
      COMMAND protobuf::protoc -I${PROJECT_SOURCE_DIR} -I/usr/include
              --cpp_out=${PROJECT_BINARY_DIR} ${rel}
      WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
      DEPENDS ${abs} protobuf::protoc
      COMMENT "protoc ${rel}")
    list(APPEND srcs ${cc})
    list(APPEND hdrs ${h})
  endforeach()
  add_library(${target} ${srcs} ${hdrs})
  target_include_directories(${target} PUBLIC ${PROJECT_BINARY_DIR})
  target_link_libraries(${target} PUBLIC protobuf::libprotobuf ${ARG_DEPS})
endfunction()
