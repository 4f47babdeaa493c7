// Prints serialized protobuf messages of one type as JSON, exactly as
// protobuf's util::MessageToJsonString with default JsonPrintOptions prints
// the parsed message (lowerCamel names, default values left out, 64-bit
// integers as strings, enums by name, bytes in base64, well-known types in
// their JSON forms), but from the wire bytes, with no Message in between:
// what `lmdbapi export` and `lmdbapi get` write for each record. Protobuf's
// printer builds a Type description and walks the message through an object
// writer; this one walks the bytes once with tables built per type at
// creation, at a twentieth of the cost (bench/json_bench).
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
  // protobuf (Any, Struct, Value, ListValue, NullValue, or any message of a
  // proto2 file): the caller prints those messages with
  // util::MessageToJsonString.
  static absl::StatusOr<std::unique_ptr<JsonPrinter>> Create(
      const google::protobuf::Descriptor* type);
  ~JsonPrinter();

  // Appends the JSON object of `wire`, a serialization of the type, to `out`
  // (no newline): what MessageToJsonString prints of the message protobuf
  // parses from `wire`. So fields come in field number order (protobuf
  // prints its own serialization), and bytes protobuf's serializer would
  // not write print as their parse: a singular field given twice keeps its
  // last value, a message field given twice is merged, a oneof keeps the
  // member set last, repeated scalars may be packed or not. Unknown fields,
  // and known numbers with a wire type their field cannot have, are left
  // out, as protobuf's parser sets them aside. A map's entries come in wire
  // order (protobuf's own order is its hash table's, which varies from run
  // to run); of entries with the same key only the last is printed.
  // Top-level fields whose numbers are in `skip` are left out as if unset
  // (their bytes are still checked).
  //
  // On error `out` holds partial text the caller discards:
  //  - DATA_LOSS when protobuf's parser refuses `wire`: a malformed tag,
  //    varint, length or group, a string field not UTF-8, messages nested
  //    deeper than 100.
  //  - INVALID_ARGUMENT when protobuf's printer refuses the message: a
  //    Timestamp or Duration out of its range, objects nested deeper than 64.
  //  - UNIMPLEMENTED for a wrapper (Int32Value...) or FieldMask holding
  //    unknown fields, which protobuf's printer misreads or refuses: the
  //    caller asks MessageToJsonString.
  // DATA_LOSS wins when both apply.
  absl::Status Print(absl::string_view wire, std::string* out,
                     const absl::flat_hash_set<int>& skip = {}) const;

 private:
  struct Plan;
  explicit JsonPrinter(std::unique_ptr<Plan> plan);
  std::unique_ptr<Plan> plan_;
};

}  // namespace lmdbapi::json

#endif  // LMDBAPI_JSON_JSON_PRINTER_H_
