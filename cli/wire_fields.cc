#include "cli/wire_fields.h"

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

namespace lmdbapi::cli {
namespace {

// Wire types (protobuf encoding guide).
constexpr int kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5;

bool ReadVarint(absl::string_view& in, uint64_t* value) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64 && !in.empty(); shift += 7) {
    uint8_t byte = static_cast<uint8_t>(in.front());
    in.remove_prefix(1);
    v |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *value = v;
      return true;
    }
  }
  return false;
}

// Reads the value of a field of `wire_type` from `in` into `field`.
bool ReadValue(absl::string_view& in, WireField* field) {
  size_t fixed = 0;
  switch (field->wire_type) {
    case kVarint:
      return ReadVarint(in, &field->varint);
    case kFixed64:
      fixed = 8;
      break;
    case kFixed32:
      fixed = 4;
      break;
    case kLengthDelimited: {
      uint64_t size;
      if (!ReadVarint(in, &size) || size > in.size()) return false;
      fixed = size;
      break;
    }
    default:  // groups: not in proto3 records
      return false;
  }
  if (fixed > in.size()) return false;
  field->bytes = in.substr(0, fixed);
  in.remove_prefix(fixed);
  return true;
}

}  // namespace

absl::Status ForEachField(
    absl::string_view message,
    absl::FunctionRef<absl::Status(const WireField&)> each) {
  absl::string_view in = message;
  while (!in.empty()) {
    const char* start = in.data();
    uint64_t tag;
    WireField field;
    bool read =
        ReadVarint(in, &tag) && (tag >> 3) != 0 && (tag >> 3) <= 0x1fffffff;
    if (read) {
      field.number = static_cast<int>(tag >> 3);
      field.wire_type = static_cast<int>(tag & 7);
      read = ReadValue(in, &field);
    }
    if (!read) {
      return absl::DataLossError(
          absl::StrCat("not a serialized message: malformed field at byte ",
                       start - message.data()));
    }
    field.whole = absl::string_view(start, in.data() - start);
    LMDBAPI_RETURN_IF_ERROR(each(field));
  }
  return absl::OkStatus();
}

absl::Status AppendWithout(absl::string_view message,
                           const absl::flat_hash_set<int>& numbers,
                           std::string* out) {
  if (numbers.empty()) {
    out->append(message.data(), message.size());
    return absl::OkStatus();
  }
  return ForEachField(message, [&](const WireField& field) {
    if (!numbers.contains(field.number)) {
      out->append(field.whole.data(), field.whole.size());
    }
    return absl::OkStatus();
  });
}

}  // namespace lmdbapi::cli
