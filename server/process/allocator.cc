#include "server/process/allocator.h"

#include <dlfcn.h>
#include <sys/mman.h>

#include <cstdlib>
#include <new>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23  // Linux 5.14
#endif

// gperftools' interface to the memory tcmalloc takes from the system, as its
// gperftools/malloc_extension.h declares it (Debian's runtime package has
// no headers): the same virtual functions in the same order.
class SysAllocator {
 public:
  virtual ~SysAllocator() {}
  virtual void* Alloc(size_t size, size_t* actual_size, size_t alignment) = 0;
};

namespace lmdbapi::server {
namespace {

// tcmalloc's system allocator, with what its page heap takes populated at
// once (one madvise) instead of page by page as it is first written (one
// page fault each: about 13 µs on this project's virtual machines, whose
// faults exit to the hypervisor). docs/BENCHMARKS.md, "tcmalloc's memory
// populated as it is taken".
class PopulatingAllocator : public SysAllocator {
 public:
  explicit PopulatingAllocator(SysAllocator* system) : system_(system) {}

  void* Alloc(size_t size, size_t* actual_size, size_t alignment) override {
    void* memory = system_->Alloc(size, actual_size, alignment);
    size_t taken = actual_size != nullptr ? *actual_size : size;
    // The page heap asks with page alignment; tcmalloc's own metadata
    // (8 MiB arenas, mostly unused for long) with less, and stays as it is.
    if (memory != nullptr && alignment >= 4096 && taken <= kPopulateBytes) {
      madvise(memory, taken, MADV_POPULATE_WRITE);  // else: faults, as before
    }
    return memory;
  }

 private:
  SysAllocator* system_;
};

}  // namespace

void BoundAllocatorCaches() {
  if (std::getenv("TCMALLOC_MAX_TOTAL_THREAD_CACHE_BYTES") != nullptr) return;
  // gperftools' C interface, looked up rather than linked: the libraries
  // build and run the same with any malloc.
  using SetProperty = int (*)(const char*, size_t);
  auto set = reinterpret_cast<SetProperty>(
      dlsym(RTLD_DEFAULT, "MallocExtension_SetNumericProperty"));
  if (set != nullptr) {
    set("tcmalloc.max_total_thread_cache_bytes", kThreadCacheBytes);
  }
}

}  // namespace lmdbapi::server

// gperftools' hook for a program's own system allocator: tcmalloc calls it
// once, when it starts (before main), through the dynamic linker, so this
// definition in the program replaces the library's (which returns `system`).
// Linked with BoundAllocatorCaches, which every lmdbapi program calls; a
// program with another malloc never calls it. No allocation in here.
SysAllocator* tc_get_sysalloc_override(SysAllocator* system) {
  using lmdbapi::server::PopulatingAllocator;
  alignas(PopulatingAllocator) static unsigned char
      storage[sizeof(PopulatingAllocator)];
  return new (storage) PopulatingAllocator(system);
}
