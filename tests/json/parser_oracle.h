// The check json_parser's tests and fuzz target make of every input: when
// JsonParser accepts a JSON text, protobuf's util::JsonStringToMessage
// (default options) accepts it too, and the bytes JsonParser wrote parse to
// a message equal to protobuf's (NaN equal to NaN).
#ifndef LMDBAPI_TESTS_JSON_PARSER_ORACLE_H_
#define LMDBAPI_TESTS_JSON_PARSER_ORACLE_H_

#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "json/json_parser.h"

namespace lmdbapi::json::testing {

struct OracleResult {
  bool accepted = false;  // by JsonParser
  // Empty when the two parsers agree, else what differs.
  std::string disagreement;
};

// Parses `json` with `parser` (of `prototype`'s type) and with protobuf.
OracleResult CheckAgainstProtobuf(const JsonParser& parser,
                                  const google::protobuf::Message& prototype,
                                  absl::string_view json);

// Whether `a` and `b` are equal messages, NaN equal to NaN; `diff` says how
// they differ when they do not.
bool EqualMessages(const google::protobuf::Message& a,
                   const google::protobuf::Message& b, std::string* diff);

}  // namespace lmdbapi::json::testing

#endif  // LMDBAPI_TESTS_JSON_PARSER_ORACLE_H_
