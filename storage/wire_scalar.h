// Scalar fields as protobuf's wire format holds them: the wire type a
// singular field of a type is written with, and a raw varint or fixed value
// decoded as the parser would store it. Shared by the readers that work on a
// record's bytes instead of a parsed message (storage/wire_filter.h,
// storage/wire_record.h).
#ifndef LMDBAPI_STORAGE_WIRE_SCALAR_H_
#define LMDBAPI_STORAGE_WIRE_SCALAR_H_

#include <cstdint>
#include <cstring>

#include "google/protobuf/descriptor.h"
#include "json/wire_reader.h"  // header-only: no link to lmdbapi_json

namespace lmdbapi::storage {

// The wire type a singular field of `type` is written with, or -1 for
// messages and groups.
inline int WireTypeOf(google::protobuf::FieldDescriptor::Type type) {
  using google::protobuf::FieldDescriptor;
  switch (type) {
    case FieldDescriptor::TYPE_STRING:
    case FieldDescriptor::TYPE_BYTES:
      return json::kLengthDelimited;
    case FieldDescriptor::TYPE_INT32:
    case FieldDescriptor::TYPE_INT64:
    case FieldDescriptor::TYPE_UINT32:
    case FieldDescriptor::TYPE_UINT64:
    case FieldDescriptor::TYPE_SINT32:
    case FieldDescriptor::TYPE_SINT64:
    case FieldDescriptor::TYPE_BOOL:
    case FieldDescriptor::TYPE_ENUM:
      return json::kVarint;
    case FieldDescriptor::TYPE_FIXED32:
    case FieldDescriptor::TYPE_SFIXED32:
    case FieldDescriptor::TYPE_FLOAT:
      return json::kFixed32;
    case FieldDescriptor::TYPE_FIXED64:
    case FieldDescriptor::TYPE_SFIXED64:
    case FieldDescriptor::TYPE_DOUBLE:
      return json::kFixed64;
    default:
      return -1;
  }
}

// A raw varint or fixed value of an integer, enum or bool `type` as the
// parser would store it: the signed types (enum and bool as 0 / 1) in
// `number`, the unsigned ones in `unsigned_number`.
inline void DecodeScalar(google::protobuf::FieldDescriptor::Type type,
                         uint64_t raw, int64_t* number,
                         uint64_t* unsigned_number) {
  using google::protobuf::FieldDescriptor;
  switch (type) {
    case FieldDescriptor::TYPE_INT32:
    case FieldDescriptor::TYPE_ENUM:
      *number = static_cast<int32_t>(raw);
      break;
    case FieldDescriptor::TYPE_SINT32: {
      uint32_t z = static_cast<uint32_t>(raw);
      *number = static_cast<int32_t>((z >> 1) ^ (~(z & 1) + 1));
      break;
    }
    case FieldDescriptor::TYPE_SINT64:
      *number = static_cast<int64_t>((raw >> 1) ^ (~(raw & 1) + 1));
      break;
    case FieldDescriptor::TYPE_SFIXED32:
      *number = static_cast<int32_t>(static_cast<uint32_t>(raw));
      break;
    case FieldDescriptor::TYPE_UINT32:
    case FieldDescriptor::TYPE_FIXED32:
      *unsigned_number = static_cast<uint32_t>(raw);
      break;
    case FieldDescriptor::TYPE_UINT64:
    case FieldDescriptor::TYPE_FIXED64:
      *unsigned_number = raw;
      break;
    case FieldDescriptor::TYPE_BOOL:
      *number = raw != 0;
      break;
    default:  // int64, sfixed64
      *number = static_cast<int64_t>(raw);
  }
}

// A raw fixed value of a double or float `type` as a double.
inline double DecodeFloating(google::protobuf::FieldDescriptor::Type type,
                             uint64_t raw) {
  if (type == google::protobuf::FieldDescriptor::TYPE_FLOAT) {
    uint32_t bits = static_cast<uint32_t>(raw);
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
  }
  double d;
  std::memcpy(&d, &raw, sizeof d);
  return d;
}

// Reads the value of a field whose tag (with wire type `wire_type`, not
// length-delimited) was just read: a varint, or a fixed value widened to 64
// bits. False when the bytes end early.
inline bool ReadRawScalar(json::WireReader& in, uint32_t wire_type,
                          uint64_t* raw) {
  if (wire_type == json::kVarint) return in.ReadVarint(raw);
  if (wire_type == json::kFixed64) return in.ReadFixed64(raw);
  uint32_t raw32 = 0;
  if (!in.ReadFixed32(&raw32)) return false;
  *raw = raw32;
  return true;
}

// Skips the value of a field the reader does not read: strings, messages
// and varints here (WireReader::SkipField, which groups make recursive, is
// not inlined, and a scan skips most of every record's fields), the rest
// there.
inline bool SkipWireField(json::WireReader& in, uint32_t tag) {
  absl::string_view payload;
  uint64_t number;
  switch (tag & 7) {
    case json::kLengthDelimited:
      return in.ReadLengthDelimited(&payload);
    case json::kVarint:
      return in.ReadVarint(&number);
    default:
      return in.SkipField(tag, 0);
  }
}

// Walks the fields of the message in `bytes`: for one whose number is that
// of fields[i] (`Fields` a sequence of structs with an int `number`), calls
// read(i, tag, in), which reads its value (false: not as expected); skips
// the others. False when the bytes are malformed or a read says so.
template <typename Fields, typename ReadField>
bool ReadListedFields(absl::string_view bytes, const Fields& fields,
                      ReadField read) {
  json::WireReader in(bytes);
  while (!in.done()) {
    uint32_t tag;
    if (!in.ReadTag(&tag) || (tag >> 3) == 0) return false;
    size_t i = 0;
    while (i < fields.size() &&
           static_cast<uint32_t>(fields[i].number) != tag >> 3) {
      ++i;
    }
    if (i == fields.size()) {
      if (!SkipWireField(in, tag)) return false;
      continue;
    }
    if (!read(i, tag, in)) return false;
  }
  return true;
}

}  // namespace lmdbapi::storage

#endif  // LMDBAPI_STORAGE_WIRE_SCALAR_H_
