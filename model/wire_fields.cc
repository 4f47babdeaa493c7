#include "model/wire_fields.h"

#include <algorithm>

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"

namespace lmdbapi::model {
namespace {

using google::protobuf::internal::WireFormatLite;
using google::protobuf::io::CodedInputStream;

// Reads the value of the field whose tag was just read; false when the bytes
// end or do not scan.
bool ReadFieldValue(absl::string_view wire, uint32_t tag, CodedInputStream& in,
                    WireField* field) {
  switch (field->wire_type) {
    case WireFormatLite::WIRETYPE_VARINT:
      return in.ReadVarint64(&field->scalar);
    case WireFormatLite::WIRETYPE_FIXED64:
      return in.ReadLittleEndian64(&field->scalar);
    case WireFormatLite::WIRETYPE_FIXED32: {
      uint32_t bits = 0;
      if (!in.ReadLittleEndian32(&bits)) return false;
      field->scalar = bits;
      return true;
    }
    case WireFormatLite::WIRETYPE_LENGTH_DELIMITED: {
      uint32_t size = 0;
      if (!in.ReadVarint32(&size)) return false;
      const int at = in.CurrentPosition();
      if (!in.Skip(static_cast<int>(size))) return false;
      field->bytes = wire.substr(at, size);
      return true;
    }
    default:  // a group
      return WireFormatLite::SkipField(&in, tag);
  }
}

}  // namespace

bool WireFields::Scan(absl::string_view wire, WireFields* fields) {
  fields->fields_.clear();
  CodedInputStream in(reinterpret_cast<const uint8_t*>(wire.data()),
                      static_cast<int>(wire.size()));
  while (uint32_t tag = in.ReadTag()) {
    WireField field;
    field.number = WireFormatLite::GetTagFieldNumber(tag);
    field.wire_type = WireFormatLite::GetTagWireType(tag);
    if (field.wire_type == WireFormatLite::WIRETYPE_END_GROUP ||
        !ReadFieldValue(wire, tag, in, &field)) {
      return false;
    }
    auto& all = fields->fields_;
    auto seen = std::find_if(all.begin(), all.end(), [&](const WireField& f) {
      return f.number == field.number;
    });
    if (seen == all.end()) {
      field.occurrences = 1;
      all.push_back(field);
    } else {
      field.occurrences = seen->occurrences + 1;
      *seen = field;
    }
  }
  return in.CurrentPosition() == static_cast<int>(wire.size());
}

const WireField* WireFields::Find(int number) const {
  for (const WireField& field : fields_) {
    if (field.number == number) return &field;
  }
  return nullptr;
}

}  // namespace lmdbapi::model
