// The protobuf wire format at the level the bulk paths need it: walk a
// message's top-level fields, copy a message without some of its fields
// (storage/coding.h writes fields). `lmdbapi import` and `export` move records
// between files and Import/Export streams as serialized bytes, never parsing
// them into messages (docs/CLI.md, "Bulk paths").
#ifndef LMDBAPI_CLI_WIRE_FIELDS_H_
#define LMDBAPI_CLI_WIRE_FIELDS_H_

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace lmdbapi::cli {

// One top-level field as it appears on the wire: a varint field's value in
// `varint`, a length-delimited field's payload in `bytes`, and `whole`, the
// field with its tag as it was read.
struct WireField {
  int number = 0;
  int wire_type = 0;
  uint64_t varint = 0;
  absl::string_view bytes;
  absl::string_view whole;
};

// Calls `each` with every top-level field of `message`, in wire order;
// DATA_LOSS when `message` is not well-formed at the top level (nested
// messages are not looked into). An error of `each` stops the walk.
absl::Status ForEachField(
    absl::string_view message,
    absl::FunctionRef<absl::Status(const WireField&)> each);

// Appends `message` to `out` without its top-level fields whose numbers are
// in `numbers` (the bytes unchanged when there are none).
absl::Status AppendWithout(absl::string_view message,
                           const absl::flat_hash_set<int>& numbers,
                           std::string* out);

}  // namespace lmdbapi::cli

#endif  // LMDBAPI_CLI_WIRE_FIELDS_H_
