// A message's top-level fields as its serialized bytes carry them, found by
// one scan of the tags: for each field number, its last occurrence (what a
// parse keeps for a scalar) and how many times it occurs. A raw method reads
// its request's fields off these instead of testing each field of the parsed
// message by reflection (~500 instructions a field).
#ifndef LMDBAPI_MODEL_WIRE_FIELDS_H_
#define LMDBAPI_MODEL_WIRE_FIELDS_H_

#include <cstdint>

#include "absl/container/inlined_vector.h"
#include "absl/strings/string_view.h"

namespace lmdbapi::model {

struct WireField {
  int number = 0;
  int wire_type = 0;        // google::protobuf::internal::WireFormatLite's
  uint64_t scalar = 0;      // a varint, fixed64 or fixed32's bits
  absl::string_view bytes;  // a length-delimited field's contents
  int occurrences = 0;      // of `number`; the others are of the last
};

class WireFields {
 public:
  // The fields of `wire`; false when its tags do not scan (bytes that did
  // not parse as a message). `wire` must outlive the result.
  static bool Scan(absl::string_view wire, WireFields* fields);

  // The field numbered `number`; nullptr when its tag does not occur.
  const WireField* Find(int number) const;
  const absl::InlinedVector<WireField, 8>& fields() const { return fields_; }

 private:
  absl::InlinedVector<WireField, 8> fields_;
};

}  // namespace lmdbapi::model

#endif  // LMDBAPI_MODEL_WIRE_FIELDS_H_
