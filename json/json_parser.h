// Parses JSON (protobuf's JSON mapping) of one message type straight into
// its wire serialization, with no Message in between: what `lmdbapi import`
// does with each NDJSON line before it sends the bytes to the server.
// Protobuf's util::JsonStringToMessage goes through a Type description, an
// object writer and a reflective Message; this parser writes the bytes in one
// pass with tables built per type at creation (bench/bulk: import rows).
//
// It is a fast path, not a second definition of the mapping: whatever it
// accepts, protobuf's parser accepts with the same result (the same message
// once both are parsed; tests/json/json_parser_test.cc checks this on
// random messages). Input it does not handle, or that is malformed, is
// refused, and the caller then asks protobuf's parser, whose verdict
// (the record, or the error naming the field) is the one reported.
//
// A parser is immutable after Create and safe to use from many threads.
#ifndef LMDBAPI_JSON_JSON_PARSER_H_
#define LMDBAPI_JSON_JSON_PARSER_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"

namespace lmdbapi::json {

class JsonParser {
 public:
  // A parser of `type` (which must outlive it). UNIMPLEMENTED when `type`
  // holds, at any depth, a type this parser leaves to protobuf (Any,
  // Struct, Value, ListValue, FieldMask, Empty, NullValue, or a proto2
  // message), or is not a JSON object (Timestamp, Duration, a wrapper): the
  // caller then parses with util::JsonStringToMessage.
  static absl::StatusOr<std::unique_ptr<JsonParser>> Create(
      const google::protobuf::Descriptor* type);
  ~JsonParser();

  // Appends the serialization of the JSON object `json` to `out`. Fields
  // are written in the order they appear in `json`; a field given twice is
  // refused. INVALID_ARGUMENT when `json` is not one JSON object of the
  // type this parser accepts (the message says why; callers needing
  // protobuf's wording ask protobuf's parser); `out` then holds partial
  // bytes the caller discards.
  //
  // Refused although protobuf accepts them (the caller's fallback parses
  // them): JSON extensions (single quotes, unquoted keys, trailing commas,
  // unknown escapes, raw control characters), a field given twice, null
  // in an array or as a map value, a lone value for a repeated field, a
  // wrapper or Timestamp as an object, a quoted enum number, lenient
  // Timestamp and Duration forms, bools spelled other than true/false, and
  // objects nested deeper than 64.
  absl::Status Parse(absl::string_view json, std::string* out) const;

 private:
  struct Plan;
  explicit JsonParser(std::unique_ptr<Plan> plan);
  std::unique_ptr<Plan> plan_;
};

}  // namespace lmdbapi::json

#endif  // LMDBAPI_JSON_JSON_PARSER_H_
