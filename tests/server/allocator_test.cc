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

// The share of a new block of `size` bytes that is resident before it is
// written (-1 if malloc fails).
double ResidentShareOfANewBlock(size_t size) {
  void* block = std::malloc(size);
  if (block == nullptr) {
    ADD_FAILURE() << "malloc(" << size << ") failed";
    return -1;
  }
  double share = ResidentShare(block, size);
  std::free(block);
  return share;
}

// A block new to the process: more than tcmalloc holds after the test's start.
constexpr size_t kFreshBlock = size_t{24} << 20;

#if LMDBAPI_TEST_TCMALLOC
TEST(AllocatorTest, MemoryFromTheSystemIsResidentBeforeItIsWritten) {
  EXPECT_GT(ResidentShareOfANewBlock(kFreshBlock), 0.99);
}

TEST(AllocatorTest, ABlockAboveThePopulateBoundFaultsInAsWritten) {
  // Some of it may be memory freed before (the test above's), resident.
  double share = ResidentShareOfANewBlock(kPopulateBytes + (size_t{8} << 20));
  EXPECT_GE(share, 0);
  EXPECT_LT(share, 0.5);
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
  double share = ResidentShareOfANewBlock(kFreshBlock);
  EXPECT_GE(share, 0);
  EXPECT_LT(share, 0.01);
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
