// Prints serialized protobuf messages of one type as JSON, exactly as
// protobuf's util::MessageToJsonString with default JsonPrintOptions prints
// the parsed message (lowerCamel names, default values left out, 64-bit
// integers as strings, enums by name, bytes in base64, well-known types in
// their JSON forms), but from the wire bytes, with no Message in between:
// what `lmdbapi export` and `lmdbapi get` write for each record. Protobuf's
// printer builds a Type description and walks the message through an object
// writer; this one walks the bytes once with tables built per type at
// creation, at a fraction of the cost (bench/bulk: export rows).
//
// A printer is immutable after Create and safe to use from many threads.
#ifndef LMDBAPI_JSON_JSON_PRINTER_H_
#define LMDBAPI_JSON_JSON_PRINTER_H_

#include <memory>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"

namespace lmdbapi::json {

class JsonPrinter {
 public:
  // A printer of `type` (which must outlive it). UNIMPLEMENTED when `type`
  // holds, at any depth, a type whose JSON form this printer leaves to
  // protobuf (Any, Struct, Value, ListValue): the caller prints those
  // messages with util::MessageToJsonString.
  static absl::StatusOr<std::unique_ptr<JsonPrinter>> Create(
      const google::protobuf::Descriptor* type);
  ~JsonPrinter();

  // Appends the JSON object of `wire`, a serialization of the type, to `out`
  // (no newline). Top-level fields whose numbers are in `skip` are left out
  // as if unset. Unknown fields are left out, as protobuf's printer does.
  // DATA_LOSS when `wire` is not a valid serialization of the type; `out`
  // then holds a partial object the caller discards.
  absl::Status Print(absl::string_view wire, std::string* out,
                     const absl::flat_hash_set<int>& skip = {}) const;

 private:
  struct Plan;
  explicit JsonPrinter(std::unique_ptr<Plan> plan);
  std::unique_ptr<Plan> plan_;
};

}  // namespace lmdbapi::json

#endif  // LMDBAPI_JSON_JSON_PRINTER_H_
