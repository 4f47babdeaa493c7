# The allocator of lmdbapi's programs: each schema's server (lmdbapi_schema)
# and the lmdbapi command link gperftools' tcmalloc, its minimal build, from
# Debian's libtcmalloc-minimal4 (the runtime package is enough: the library
# is found by its file name). Why: docs/BENCHMARKS.md, "tcmalloc in place of
# glibc's malloc" (a binary import 1.3 x, Get and Filter 5-10 % less CPU).
#
# LMDBAPI_ALLOCATOR=glibc keeps glibc's malloc; the sanitizer and fuzzing
# builds do (AddressSanitizer brings its own allocator).
if(NOT DEFINED LMDBAPI_ALLOCATOR)
  if(LMDBAPI_SANITIZE OR LMDBAPI_FUZZ)
    set(LMDBAPI_ALLOCATOR_DEFAULT glibc)
  else()
    set(LMDBAPI_ALLOCATOR_DEFAULT tcmalloc)
  endif()
  set(LMDBAPI_ALLOCATOR ${LMDBAPI_ALLOCATOR_DEFAULT} CACHE STRING
      "malloc of lmdbapi's programs: tcmalloc or glibc")
endif()
set_property(CACHE LMDBAPI_ALLOCATOR PROPERTY STRINGS tcmalloc glibc)

if(LMDBAPI_ALLOCATOR STREQUAL "tcmalloc")
  find_library(LMDBAPI_TCMALLOC_LIBRARY
               NAMES tcmalloc_minimal libtcmalloc_minimal.so.4)
  if(NOT LMDBAPI_TCMALLOC_LIBRARY)
    message(FATAL_ERROR "lmdbapi: tcmalloc not found: install Debian's "
            "libtcmalloc-minimal4 (scripts/install-deps), or configure with "
            "-DLMDBAPI_ALLOCATOR=glibc")
  endif()
elseif(NOT LMDBAPI_ALLOCATOR STREQUAL "glibc")
  message(FATAL_ERROR "lmdbapi: LMDBAPI_ALLOCATOR is '${LMDBAPI_ALLOCATOR}': "
          "tcmalloc or glibc")
endif()

# Links `target` (an executable) with lmdbapi's allocator.
function(lmdbapi_link_allocator target)
  if(LMDBAPI_ALLOCATOR STREQUAL "tcmalloc")
    target_link_libraries(${target} ${LMDBAPI_TCMALLOC_LIBRARY})
  endif()
endfunction()
