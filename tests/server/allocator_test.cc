// server/process/allocator.h: in a program linked with tcmalloc (as each
// schema's server is) BoundAllocatorCaches bounds the thread caches and the
// memory tcmalloc takes from the system is populated when taken; with another
// malloc neither happens. The build says which this test is
// (LMDBAPI_TEST_TCMALLOC: cmake/LmdbapiAllocator.cmake, bazel/lmdbapi.bzl).
#include "server/process/allocator.h"

#include <dlfcn.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <vector>

#include "gtest/gtest.h"

namespace lmdbapi::server {
namespace {

using GetProperty = int (*)(const char*, size_t*);

GetProperty TcmallocGetProperty() {
  return reinterpret_cast<GetProperty>(
      dlsym(RTLD_DEFAULT, "MallocExtension_GetNumericProperty"));
}

// The share of the pages of [memory, memory + size) that are resident.
double ResidentShare(const void* memory, size_t size) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  uintptr_t begin = reinterpret_cast<uintptr_t>(memory) / page * page;
  uintptr_t end = reinterpret_cast<uintptr_t>(memory) + size;
  std::vector<unsigned char> pages((end - begin + page - 1) / page);
  if (mincore(reinterpret_cast<void*>(begin), end - begin, pages.data()) != 0) {
    ADD_FAILURE() << "mincore failed";
    return -1;
  }
  size_t resident = 0;
  for (unsigned char p : pages) resident += p & 1;
  return static_cast<double>(resident) / static_cast<double>(pages.size());
}

// A block new to the process: more than tcmalloc holds after the test's start.
constexpr size_t kFreshBlock = size_t{24} << 20;

#if LMDBAPI_TEST_TCMALLOC
TEST(AllocatorTest, MemoryFromTheSystemIsResidentBeforeItIsWritten) {
  void* block = std::malloc(kFreshBlock);
  ASSERT_NE(block, nullptr);
  EXPECT_GT(ResidentShare(block, kFreshBlock), 0.99);
  std::free(block);
}

TEST(AllocatorTest, ABlockAboveThePopulateBoundFaultsInAsWritten) {
  const size_t size = kPopulateBytes + (size_t{8} << 20);
  void* block = std::malloc(size);
  ASSERT_NE(block, nullptr);
  // Some of it may be memory freed before (the test above's), resident.
  EXPECT_LT(ResidentShare(block, size), 0.5);
  std::free(block);
}

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
TEST(AllocatorTest, AnotherMallocsMemoryFaultsInAsWritten) {
  void* block = std::malloc(kFreshBlock);
  ASSERT_NE(block, nullptr);
  EXPECT_LT(ResidentShare(block, kFreshBlock), 0.01);
  std::free(block);
}

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
