// Scalar values by kind: bits reinterpreted, zigzag-decoded or truncated,
// then formatted as json/json_number.h and protobuf's printer do.
#include "json/scalar_json.h"

#include <cstring>

#include "json/json_number.h"
#include "json/json_string.h"

namespace lmdbapi::json {
namespace {

template <typename To, typename From>
To BitCast(From from) {
  static_assert(sizeof(To) == sizeof(From));
  To to;
  std::memcpy(&to, &from, sizeof(to));
  return to;
}

int32_t ZigZag32(uint32_t n) {
  return static_cast<int32_t>((n >> 1) ^ (~(n & 1) + 1));
}
int64_t ZigZag64(uint64_t n) {
  return static_cast<int64_t>((n >> 1) ^ (~(n & 1) + 1));
}

}  // namespace

uint64_t NormalizedBits(ValueKind kind, uint64_t bits) {
  switch (kind) {
    case ValueKind::kInt32:
    case ValueKind::kUint32:
    case ValueKind::kSint32:
    case ValueKind::kFixed32:
    case ValueKind::kSfixed32:
    case ValueKind::kEnum:
    case ValueKind::kFloat:
      return static_cast<uint32_t>(bits);
    case ValueKind::kBool:
      return bits != 0;
    default:
      return bits;
  }
}

void AppendScalar(const FieldPlan& field, uint64_t bits, std::string* out) {
  const auto bits32 = static_cast<uint32_t>(bits);
  switch (field.kind) {
    case ValueKind::kDouble:
      return AppendDouble(BitCast<double>(bits), out);
    case ValueKind::kFloat:
      return AppendFloat(BitCast<float>(bits32), out);
    case ValueKind::kInt64:
    case ValueKind::kSfixed64:
      return AppendQuotedInt64(static_cast<int64_t>(bits), out);
    case ValueKind::kUint64:
    case ValueKind::kFixed64:
      return AppendQuotedUint64(bits, out);
    case ValueKind::kSint64:
      return AppendQuotedInt64(ZigZag64(bits), out);
    case ValueKind::kUint32:
    case ValueKind::kFixed32:
      return AppendUint32(bits32, out);
    case ValueKind::kSint32:
      return AppendInt32(ZigZag32(bits32), out);
    case ValueKind::kBool:
      out->append(bits != 0 ? "true" : "false");
      return;
    case ValueKind::kEnum:
      if (const std::string* name = field.enum_plan->Find(bits32)) {
        out->append(*name);
        return;
      }
      return AppendInt32(static_cast<int32_t>(bits32), out);
    default:  // kInt32, kSfixed32.
      return AppendInt32(static_cast<int32_t>(bits32), out);
  }
}

bool AppendMapKey(const FieldPlan& field, uint64_t bits, absl::string_view text,
                  std::string* out) {
  if (field.kind == ValueKind::kString) return AppendJsonString(text, out);
  switch (field.kind) {
    case ValueKind::kBool:
      out->append(bits != 0 ? "\"true\"" : "\"false\"");
      return true;
    case ValueKind::kInt32:
    case ValueKind::kSfixed32:
      AppendQuotedInt64(static_cast<int32_t>(bits), out);
      return true;
    case ValueKind::kSint32:
      AppendQuotedInt64(ZigZag32(static_cast<uint32_t>(bits)), out);
      return true;
    case ValueKind::kUint32:
    case ValueKind::kFixed32:
      AppendQuotedUint64(static_cast<uint32_t>(bits), out);
      return true;
    case ValueKind::kSint64:
      AppendQuotedInt64(ZigZag64(bits), out);
      return true;
    case ValueKind::kUint64:
    case ValueKind::kFixed64:
      AppendQuotedUint64(bits, out);
      return true;
    default:  // kInt64, kSfixed64.
      AppendQuotedInt64(static_cast<int64_t>(bits), out);
      return true;
  }
}

}  // namespace lmdbapi::json
