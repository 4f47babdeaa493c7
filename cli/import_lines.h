// How an import names a record to its user: by the source's line. Storage
// and servers name a record of an import by its position ("record 12: ..."),
// the import's reader knows each position's line.
#ifndef LMDBAPI_CLI_IMPORT_LINES_H_
#define LMDBAPI_CLI_IMPORT_LINES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace lmdbapi::cli {

// The line of the record at `position` (from 1): lines[position - 1], or
// the position itself when `lines` does not hold it (positions that are
// lines already).
uint64_t LineOf(uint64_t position, const std::vector<uint64_t>& lines);

// `error`'s "record N" (N a position) as "line L", L = LineOf(N, lines);
// `error` unchanged when it names no record.
std::string WithLine(absl::string_view error,
                     const std::vector<uint64_t>& lines);

}  // namespace lmdbapi::cli

#endif  // LMDBAPI_CLI_IMPORT_LINES_H_
