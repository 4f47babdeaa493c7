// FieldMask path conversion: a segment scanner and the lowerCamel rules of
// protobuf's JSON printer, rule for rule.
#include "json/field_mask_path.h"

#include "absl/strings/ascii.h"

namespace lmdbapi::json {
namespace {

// One segment in lowerCamel. The first word (up to an '_' or a capital
// that starts a new word: "aB", or "ABc" at the B) is lowercased; a letter
// after '_' is capitalised; any other letter is lowercased. An '_' before
// the first word's end leaves its capital pending for the next word.
void AppendCamelSegment(absl::string_view segment, std::string* out) {
  const size_t start = out->size();
  bool capitalize_next = false;
  bool first_word = true;
  bool previous_upper = true;
  for (size_t i = 0; i < segment.size(); ++i) {
    const char c = segment[i];
    const bool upper = absl::ascii_isupper(c);
    if (c == '_') {
      capitalize_next = true;
      if (out->size() != start) first_word = false;
    } else if (first_word) {
      const bool starts_word =
          out->size() != start && upper &&
          (!previous_upper ||
           (i + 1 < segment.size() && absl::ascii_islower(segment[i + 1])));
      if (starts_word) first_word = false;
      out->push_back(starts_word ? c : absl::ascii_tolower(c));
    } else if (capitalize_next) {
      capitalize_next = false;
      out->push_back(absl::ascii_toupper(c));
    } else {
      out->push_back(absl::ascii_tolower(c));
    }
    previous_upper = upper;
  }
}

}  // namespace

void AppendFieldMaskPath(absl::string_view path, std::string* out) {
  size_t segment_start = 0;
  bool quoted = false;
  bool escaping = false;
  for (size_t i = 0; i < path.size(); ++i) {
    const char c = path[i];
    if (quoted) {  // Copied up to the closing unescaped '"'.
      out->push_back(c);
      if (escaping) {
        escaping = false;
      } else if (c == '\\') {
        escaping = true;
      } else if (c == '"') {
        quoted = false;
        segment_start = i + 1;
      }
      continue;
    }
    if (c == '.' || c == '(' || c == ')' || c == '"') {
      AppendCamelSegment(path.substr(segment_start, i - segment_start), out);
      out->push_back(c);
      segment_start = i + 1;
      quoted = c == '"';
    }
  }
  if (!quoted) AppendCamelSegment(path.substr(segment_start), out);
}

}  // namespace lmdbapi::json
