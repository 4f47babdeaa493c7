// BoundAllocatorCaches (server/process/allocator.h): in a program linked with
// tcmalloc (as each schema's server is) it bounds the thread caches; with
// another malloc it does nothing. The build says which this test is
// (LMDBAPI_TEST_TCMALLOC: cmake/LmdbapiAllocator.cmake, bazel/lmdbapi.bzl).
#include "server/process/allocator.h"

#include <dlfcn.h>

#include <cstdlib>

#include "gtest/gtest.h"

namespace lmdbapi::server {
namespace {

using GetProperty = int (*)(const char*, size_t*);

GetProperty TcmallocGetProperty() {
  return reinterpret_cast<GetProperty>(
      dlsym(RTLD_DEFAULT, "MallocExtension_GetNumericProperty"));
}

#if LMDBAPI_TEST_TCMALLOC
TEST(AllocatorTest, BoundsTcmallocsThreadCachesTo4MiB) {
  ASSERT_EQ(std::getenv("TCMALLOC_MAX_TOTAL_THREAD_CACHE_BYTES"), nullptr);
  GetProperty get = TcmallocGetProperty();
  ASSERT_NE(get, nullptr) << "the test is not linked with tcmalloc";
  size_t bytes = 0;
  ASSERT_TRUE(get("tcmalloc.max_total_thread_cache_bytes", &bytes));
  EXPECT_GT(bytes, kThreadCacheBytes);  // tcmalloc's default, 32 MiB
  BoundAllocatorCaches();
  ASSERT_TRUE(get("tcmalloc.max_total_thread_cache_bytes", &bytes));
  EXPECT_EQ(bytes, kThreadCacheBytes);
}
#else
TEST(AllocatorTest, DoesNothingWithAnotherMalloc) {
  EXPECT_EQ(TcmallocGetProperty(), nullptr);
  BoundAllocatorCaches();  // finds no tcmalloc: returns
  void* p = std::malloc(64);
  EXPECT_NE(p, nullptr);
  std::free(p);
}
#endif

}  // namespace
}  // namespace lmdbapi::server
