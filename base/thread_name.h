// Names the calling thread, so that `top -H`, `ps -L`, perf, gdb and
// /proc/<pid>/task/<tid>/comm tell lmdbapi's threads apart (every thread
// otherwise carries the program's name). Linux keeps 15 bytes of a name:
// a longer one is cut there. docs/SERVER.md lists the names.
//
//   thread_ = std::thread([this] {
//     NameThisThread("lmdb-writer");
//     Run();
//   });
#ifndef LMDBAPI_BASE_THREAD_NAME_H_
#define LMDBAPI_BASE_THREAD_NAME_H_

#include <pthread.h>

#include <cstring>

namespace lmdbapi {

inline void NameThisThread(const char* name) {
  char kept[16];  // the kernel's TASK_COMM_LEN, with the terminator
  std::strncpy(kept, name, sizeof kept - 1);
  kept[sizeof kept - 1] = '\0';
  pthread_setname_np(pthread_self(), kept);  // best effort: a name only
}

}  // namespace lmdbapi

#endif  // LMDBAPI_BASE_THREAD_NAME_H_
