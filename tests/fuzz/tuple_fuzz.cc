// libFuzzer: tuple-key decoding never reads out of bounds, and what it
// decodes re-encodes to the same bytes (byte order = value order relies on
// one encoding per value).
#include <cstddef>
#include <cstdint>
#include <string>

#include "storage/tuple.h"

using lmdbapi::storage::TupleReader;
using lmdbapi::storage::TupleWriter;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  absl::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  TupleReader reader(in);
  std::string again;
  TupleWriter writer(&again);
  // The first byte picks the element types to read, two bits each.
  for (int shift = 0; shift < 8; shift += 2) {
    switch ((data[0] >> shift) & 3) {
      case 0: {
        auto s = reader.ReadString();
        if (!s.ok()) return 0;
        writer.AppendString(*s);
        break;
      }
      case 1: {
        auto v = reader.ReadInt64();
        if (!v.ok()) return 0;
        writer.AppendInt64(*v);
        break;
      }
      case 2: {
        auto t = reader.ReadTimestamp();
        if (!t.ok()) return 0;
        writer.AppendTimestamp(t->first, t->second);
        break;
      }
      case 3: {
        auto b = reader.ReadBool();
        if (!b.ok()) return 0;
        writer.AppendBool(*b);
        break;
      }
    }
    absl::string_view consumed = in.substr(0, in.size() - reader.rest().size());
    if (consumed != again) __builtin_trap();  // two encodings of one value
  }
  return 0;
}
