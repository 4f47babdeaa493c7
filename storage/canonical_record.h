// Whether a record's bytes are already what Table::Prepare would store for
// them: protobuf's deterministic serialization of the record they parse as.
// An import then stores the bytes it received as they are, skipping the
// parse and the serialization that would give the same bytes back
// (docs/BENCHMARKS.md, "An import's canonical records stored as received").
//
//   std::unique_ptr<const CanonicalRecord> canonical =
//       CanonicalRecord::Compile(Permit::descriptor());
//   if (canonical->Check(bytes)) ...  // Parse + DeterministicBytes == bytes
//
// Canonical bytes hold each field at most once and in field-number order (a
// repeated field's elements together, a packed one's in one run), no unknown
// field, every tag, varint and length in its shortest form, a proto3 scalar
// without presence only when it is not its default (a float or double when
// its bits are not 0: -0.0 is written), a bool as 0 or 1,
// an int32 or enum as protobuf writes it (a negative one in ten bytes), a
// string valid UTF-8 and a nested message canonical in turn. So bytes that
// pass are bytes protobuf's parser accepts, and serializing what it parses
// gives them back.
//
// Only proto3 types are compiled; a type that holds a map, a group, an
// extension range or a proto2 message, or nests deeper than kMaxDepth, gets
// a checker that always says false: the caller parses. A oneof's members
// are canonical one at a time (of two, the parse keeps the last).
#ifndef LMDBAPI_STORAGE_CANONICAL_RECORD_H_
#define LMDBAPI_STORAGE_CANONICAL_RECORD_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"

namespace lmdbapi::storage {

class CanonicalRecord {
 public:
  static std::unique_ptr<const CanonicalRecord> Compile(
      const google::protobuf::Descriptor* type);

  // True when `bytes` are canonical for the compiled type; false when they
  // are not, or may not be (the caller parses them).
  bool Check(absl::string_view bytes) const;

  // Nesting of message types compiled; deeper (or recursive) types are
  // never canonical.
  static constexpr int kMaxDepth = 8;

 private:
  // What a value of a field must look like.
  enum class Kind : uint8_t {
    kVarint64,  // int64, uint64, sint64: any varint
    kInt32,     // int32, enum: a sign-extended 32-bit value
    kUint32,    // uint32, sint32: below 2^32
    kBool,      // 0 or 1
    kFixed32,   // fixed32, sfixed32, float
    kFixed64,   // fixed64, sfixed64, double
    kString,    // valid UTF-8
    kBytes,
    kMessage,
  };
  struct Field {
    uint32_t number = 0;
    Kind kind = Kind::kVarint64;
    bool presence = false;  // explicit: any value (else never the default)
    bool repeated = false;
    bool packed = false;
    int message = -1;        // kMessage: its node in nodes_
    int oneof = -1;          // a member of its message's oneof number `oneof`
    uint32_t wire_type = 0;  // of a value not packed
  };
  struct Node {
    std::vector<Field> fields;  // by number
  };
  class Cursor;

  CanonicalRecord() = default;
  // Compiles `type` at nesting `depth`: its node, or -1.
  int CompileNode(const google::protobuf::Descriptor* type, int depth);
  bool CheckNode(absl::string_view bytes, const Node& node) const;
  // One occurrence of `field` (its tag read): its value, or a packed run.
  bool CheckOccurrence(Cursor& in, uint32_t wire_type,
                       const Field& field) const;
  bool CheckValue(Cursor& in, const Field& field, bool nonzero) const;

  std::vector<Node> nodes_;  // nodes_[0]: the record; empty: never canonical
};

}  // namespace lmdbapi::storage

#endif  // LMDBAPI_STORAGE_CANONICAL_RECORD_H_
