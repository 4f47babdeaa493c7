#include "storage/index_build_record.h"

#include "absl/strings/str_cat.h"
#include "storage/coding.h"

namespace lmdbapi::storage {

std::string BuildKey(absl::string_view table, absl::string_view index) {
  return absl::StrCat("index_build/", table, "/", index);
}

std::string Encode(const BuildRecord& r) {
  if (r.failed) return absl::StrCat("f", r.error);
  std::string out = "b";
  PutFixed64(r.built, &out);
  PutFixed64(r.total, &out);
  out.push_back(r.cursor.has_value() ? 1 : 0);
  if (r.cursor) out.append(*r.cursor);
  return out;
}

absl::StatusOr<BuildRecord> Decode(absl::string_view key,
                                   absl::string_view bytes) {
  BuildRecord r;
  Decoder in(bytes);
  const uint8_t kind = in.Byte();
  if (kind == 'f') {
    r.failed = true;
    r.error = std::string(in.rest());
    return r;
  }
  r.built = in.Fixed64();
  r.total = in.Fixed64();
  const bool has_cursor = in.Byte() != 0;
  if (kind != 'b' || !in.ok()) {
    return absl::DataLossError(
        absl::StrCat("meta key '", key, "' is not a build record"));
  }
  if (has_cursor) r.cursor = std::string(in.rest());
  return r;
}

}  // namespace lmdbapi::storage
