#include "cli/import_lines.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace lmdbapi::cli {

uint64_t LineOf(uint64_t position, const std::vector<uint64_t>& lines) {
  return position >= 1 && position <= lines.size() ? lines[position - 1]
                                                   : position;
}

std::string WithLine(absl::string_view error,
                     const std::vector<uint64_t>& lines) {
  constexpr absl::string_view kRecord = "record ";
  size_t at = error.find(kRecord);
  if (at == absl::string_view::npos) return std::string(error);
  size_t end = at + kRecord.size();
  uint64_t position = 0;
  while (end < error.size() && absl::ascii_isdigit(error[end])) {
    position = position * 10 + (error[end++] - '0');
  }
  if (end == at + kRecord.size()) return std::string(error);
  return absl::StrCat(error.substr(0, at), "line ", LineOf(position, lines),
                      error.substr(end));
}

}  // namespace lmdbapi::cli
