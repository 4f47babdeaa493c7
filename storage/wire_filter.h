// A query's residual filter evaluated on a record's stored bytes (the
// protobuf wire format), without parsing the record: a scan then parses
// only the records that match, and Count parses none.
//
//   std::optional<WireFilter> wire = WireFilter::Compile(plan.residual);
//   std::optional<bool> hit = wire->Matches(bytes);  // nullopt: parse it
//
// It serves comparisons on singular fields of the record itself of kinds
// string, bytes, bool, enum and the integer types (a field not in the bytes
// reads as its default, the last occurrence of one wins, as the parser
// does; bytes that do not read as the field's type are left to the parser).
// Anything else (a nested, repeated or oneof field, a double, a Timestamp, a
// proto2 enum, more than kMaxFields fields) is not compiled: the caller
// parses the record and uses Expr::Matches, which stays the definition.
//
// A filter that requires a string or bytes value (an equality or prefix
// the whole filter needs, and the field's default does not satisfy) first
// looks for that value's bytes anywhere in the record: a record without
// them cannot match and is not read further, so most records of a
// selective scan cost one memchr walk instead of a walk over their tags.
#ifndef LMDBAPI_STORAGE_WIRE_FILTER_H_
#define LMDBAPI_STORAGE_WIRE_FILTER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "storage/filter_expr.h"

namespace lmdbapi::storage {

class WireFilter {
 public:
  // Distinct fields one filter may read.
  static constexpr size_t kMaxFields = 8;

  // The filter of `expr` (not kTrue), or nullopt when some comparison
  // needs the parsed record.
  static std::optional<WireFilter> Compile(const Expr& expr);

  // Whether the record in `bytes` matches; nullopt when the bytes are not
  // well-formed wire format (the caller parses them and reports the damage).
  // Bytes without the required value are not read: false, even when they
  // are damaged (`lmdbapi verify` is what finds damaged records).
  std::optional<bool> Matches(absl::string_view bytes) const;

 private:
  // One field's value as the bytes hold it.
  struct Slot {
    absl::string_view text;  // string, bytes
    int64_t number = 0;      // the integer kinds, enum and bool as 0 / 1
    uint64_t unsigned_number = 0;
  };
  struct Field {
    int number = 0;
    google::protobuf::FieldDescriptor::Type type;
    Slot absent;  // its value when the bytes do not hold it
  };
  struct Node {
    Expr::Kind kind = Expr::Kind::kTrue;
    size_t slot = 0;  // kPredicate: which field
    Op op = Op::kEq;
    Value value;
    std::vector<Node> children;
  };

  bool Compile(const Expr& expr, Node* node);
  // The longest string or bytes value a record's bytes must hold for `node`
  // to hold; "" when `node` requires none.
  absl::string_view RequiredValue(const Node& node) const;
  // Reads every field of fields_ into `slots`; false when malformed.
  bool Read(absl::string_view bytes, Slot* slots) const;
  bool Eval(const Node& node, const Slot* slots) const;
  bool Compare(const Node& leaf, const Slot& slot) const;

  std::vector<Field> fields_;
  Node root_;
  std::string required_;  // RequiredValue(root_); "": none
};

}  // namespace lmdbapi::storage

#endif  // LMDBAPI_STORAGE_WIRE_FILTER_H_
