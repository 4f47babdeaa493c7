#include "server/table/error_details.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "storage/status.h"

namespace lmdbapi::server {
namespace {

// A request path as messages prefix them: identifiers, dots and [index].
bool IsPath(absl::string_view text) {
  if (text.empty() || !(absl::ascii_isalpha(text[0]) || text[0] == '_')) {
    return false;
  }
  for (char c : text) {
    if (!absl::ascii_isalnum(c) && c != '_' && c != '.' && c != '[' &&
        c != ']') {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string FieldOf(absl::string_view message) {
  constexpr absl::string_view kField = "field '";
  std::vector<absl::string_view> leading, path;  // paths before any other
  bool at_start = true;
  while (true) {
    if (absl::StartsWith(message, kField)) {
      absl::string_view rest = message.substr(kField.size());
      size_t end = rest.find('\'');
      if (end == absl::string_view::npos || end == 0) break;
      path.push_back(rest.substr(0, end));
      return absl::StrJoin(path, ".");
    }
    size_t colon = message.find(": ");
    if (colon == absl::string_view::npos) break;
    if (IsPath(message.substr(0, colon))) {
      path.push_back(message.substr(0, colon));
      if (at_start) leading = path;
    } else {  // e.g. "record 5": a field after it is named alone
      path.clear();
      at_start = false;
    }
    message.remove_prefix(colon + 2);
  }
  return absl::StrJoin(leading, ".");
}

std::string ReasonFor(const absl::Status& status) {
  std::string reason = storage::ReasonOf(status);
  if (!reason.empty()) return reason;
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
      return FieldOf(status.message()).empty() ? "INVALID_ARGUMENT"
                                               : "INVALID_FIELD";
    case absl::StatusCode::kAborted:
      return "REVISION_MISMATCH";
    case absl::StatusCode::kUnknown:
      return "INTERNAL";
    default:
      return absl::AsciiStrToUpper(absl::StatusCodeToString(status.code()));
  }
}

}  // namespace lmdbapi::server
