// Leveled logging to stderr, one line per event with a UTC timestamp.
#ifndef LMDBAPI_SERVER_OBSERVABILITY_LOG_H_
#define LMDBAPI_SERVER_OBSERVABILITY_LOG_H_

#include <atomic>

#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"

namespace lmdbapi::server {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// Parses "debug", "info", "warning" or "error".
bool ParseLogLevel(absl::string_view text, LogLevel* level);
void SetLogLevel(LogLevel level);
bool LogEnabled(LogLevel level);
void LogLine(LogLevel level, absl::string_view message);

template <typename... Args>
void Log(LogLevel level, const absl::FormatSpec<Args...>& format,
         const Args&... args) {
  if (LogEnabled(level)) LogLine(level, absl::StrFormat(format, args...));
}

}  // namespace lmdbapi::server

#endif  // LMDBAPI_SERVER_OBSERVABILITY_LOG_H_
