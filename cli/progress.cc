#include "cli/progress.h"

#include <unistd.h>

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"

namespace lmdbapi::cli {
namespace {

// How often each kind of output draws.
constexpr absl::Duration kTerminalInterval = absl::Milliseconds(100);
constexpr absl::Duration kLineInterval = absl::Seconds(2);
constexpr int kBarWidth = 20;

// 1234567 -> "1,234,567".
std::string Grouped(uint64_t n) {
  std::string digits = absl::StrCat(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

// 95123.4 -> "95.1k".
std::string Short(double n) {
  if (n >= 1e6) return absl::StrFormat("%.1fM", n / 1e6);
  if (n >= 1e3) return absl::StrFormat("%.1fk", n / 1e3);
  return absl::StrFormat("%.0f", n);
}

// 75 s -> "1m15s".
std::string Eta(double seconds) {
  int64_t s = static_cast<int64_t>(seconds + 0.5);
  if (s < 60) return absl::StrCat(s, "s");
  if (s < 3600) return absl::StrCat(s / 60, "m", s % 60, "s");
  return absl::StrCat(s / 3600, "h", (s % 3600) / 60, "m");
}

std::string Bar(uint64_t done, uint64_t total) {
  int filled = static_cast<int>(kBarWidth * std::min(done, total) / total);
  return absl::StrCat("[", std::string(filled, '#'),
                      std::string(kBarWidth - filled, '.'), "]");
}

}  // namespace

Progress::Progress(std::string what, uint64_t total, FILE* out, bool terminal)
    : what_(std::move(what)),
      total_(total),
      out_(out),
      terminal_(terminal),
      start_(absl::Now()),
      last_draw_(start_) {}

Progress::Progress(std::string what, uint64_t total)
    : Progress(std::move(what), total, stderr, isatty(2) == 1) {}

Progress::~Progress() { Finish(); }

void Progress::Add(uint64_t n) { Set(done_ + n); }

void Progress::Set(uint64_t done) {
  done_ = done;
  absl::Time now = absl::Now();
  if (now - last_draw_ < (terminal_ ? kTerminalInterval : kLineInterval)) {
    return;
  }
  last_draw_ = now;
  Draw(false);
}

void Progress::Finish() {
  if (finished_) return;
  finished_ = true;
  Draw(true);
}

void Progress::Draw(bool last) {
  double seconds = absl::ToDoubleSeconds(absl::Now() - start_);
  double rate = seconds > 0 ? done_ / seconds : 0;
  std::string line;
  if (last) {
    line = absl::StrFormat("%s: %d in %.1f s, %.0f/s", what_, done_, seconds,
                           rate);
  } else if (terminal_) {
    line = absl::StrCat(what_, "  ");
    if (total_ > 0) absl::StrAppend(&line, Bar(done_, total_), "  ");
    absl::StrAppend(&line, Grouped(done_));
    if (total_ > 0) absl::StrAppend(&line, "/", Grouped(total_));
    absl::StrAppend(&line, "  ", Short(rate), "/s");
    if (total_ > 0 && rate > 0 && done_ <= total_) {
      absl::StrAppend(&line, "  ETA ", Eta((total_ - done_) / rate));
    }
  } else {
    line = absl::StrFormat("%s: %d", what_, done_);
    if (total_ > 0) {
      absl::StrAppend(
          &line, absl::StrFormat("/%d (%d%%)", total_, 100 * done_ / total_));
    }
    absl::StrAppend(&line, absl::StrFormat(", %.0f/s", rate));
    if (total_ > 0 && rate > 0 && done_ <= total_) {
      absl::StrAppend(&line, ", ETA ", Eta((total_ - done_) / rate));
    }
  }
  // On a terminal the line is redrawn in place; \033[K clears what a longer
  // line left.
  if (terminal_) {
    fprintf(out_, "\r%s\033[K%s", line.c_str(), last ? "\n" : "");
  } else {
    fprintf(out_, "%s\n", line.c_str());
  }
  fflush(out_);
}

}  // namespace lmdbapi::cli
