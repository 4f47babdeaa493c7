// Progress of long work (rebuild, verify, backup, restore, import, export):
// on a terminal, one line redrawn in place with a bar, the count, the rate
// and the ETA; otherwise plain lines every few seconds, and one at the end:
//
//   import permits  [#########.........]  412,000/1,000,000  95.1k/s  ETA 6s
//   import permits: 412000/1000000 (41%), 95100/s, ETA 6s
//
// Not thread-safe: one thread reports.
#ifndef LMDBAPI_CLI_PROGRESS_H_
#define LMDBAPI_CLI_PROGRESS_H_

#include <cstdint>
#include <cstdio>
#include <string>

#include "absl/time/time.h"

namespace lmdbapi::cli {

class Progress {
 public:
  // `what`: "import permits". `total`: 0 when unknown (then no bar or
  // ETA). `out`: where it draws (stderr); `terminal`: isatty(out).
  Progress(std::string what, uint64_t total, FILE* out, bool terminal);
  // For stderr, deciding `terminal` with isatty(2).
  Progress(std::string what, uint64_t total);
  ~Progress();  // Finish() if not yet

  // `n` more items done.
  void Add(uint64_t n);
  // Items done so far is `done` (for work polled from elsewhere).
  void Set(uint64_t done);
  void set_total(uint64_t total) { total_ = total; }
  // The last line: "import permits: 1000000 in 10.5 s, 95238/s".
  void Finish();

 private:
  void Draw(bool last);
  std::string what_;
  uint64_t total_;
  FILE* out_;
  bool terminal_;
  uint64_t done_ = 0;
  absl::Time start_;
  absl::Time last_draw_;
  bool finished_ = false;
};

}  // namespace lmdbapi::cli

#endif  // LMDBAPI_CLI_PROGRESS_H_
