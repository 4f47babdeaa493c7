#include "server/process/allocator.h"

#include <dlfcn.h>

#include <cstdlib>

namespace lmdbapi::server {

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
