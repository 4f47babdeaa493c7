// The allocator's settings of lmdbapi's programs. Each schema's server and
// the lmdbapi command link tcmalloc (cmake/LmdbapiAllocator.cmake); its
// threads' caches may grow to 32 MiB in all by default, which a long mixed
// load reaches over minutes (tests/robustness/soak_test.py saw the heap go
// from 14 to 25 MiB in 180 s, where glibc's stayed at 4.7 MiB). A bound of
// 4 MiB keeps the heap flat and the speed (docs/BENCHMARKS.md, "tcmalloc").
//
// A program that links this file (every one that calls BoundAllocatorCaches)
// also has tcmalloc populate the memory its page heap takes from the system,
// up to kPopulateBytes at a time, when it takes it: a new server's heap grows
// without a page fault per page (allocator.cc).
#ifndef LMDBAPI_SERVER_PROCESS_ALLOCATOR_H_
#define LMDBAPI_SERVER_PROCESS_ALLOCATOR_H_

#include <cstddef>

namespace lmdbapi::server {

inline constexpr size_t kThreadCacheBytes = size_t{4} << 20;
// Larger requests to the system (one allocation of that size) fault their
// pages in as they are written: they may be used sparsely.
inline constexpr size_t kPopulateBytes = size_t{64} << 20;

// Bounds tcmalloc's thread caches to kThreadCacheBytes in all, unless
// TCMALLOC_MAX_TOTAL_THREAD_CACHE_BYTES sets them. Does nothing in a
// program that allocates with another malloc (glibc's, ASan's).
void BoundAllocatorCaches();

}  // namespace lmdbapi::server

#endif  // LMDBAPI_SERVER_PROCESS_ALLOCATOR_H_
