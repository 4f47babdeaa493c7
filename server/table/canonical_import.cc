#include "server/table/canonical_import.h"

#include <cstdint>

#include "json/wire_reader.h"  // header-only
#include "model/request_layout.h"

namespace lmdbapi::server {

bool CanonicalImport::Read(const grpc::ByteBuffer& buffer,
                           const storage::Table& table) {
  namespace layout = model::layout;
  records.clear();
  if (!view.Read(buffer)) return false;
  json::WireReader in(view.bytes());
  while (!in.done()) {
    uint32_t tag;
    if (!in.ReadTag(&tag)) return false;
    const int number = static_cast<int>(tag >> 3);
    const uint32_t wire_type = tag & 7;
    if (number == layout::kImportRecords.number &&
        wire_type == json::kLengthDelimited) {
      absl::string_view record;
      if (!in.ReadLengthDelimited(&record) || !table.Canonical(record)) {
        return false;
      }
      records.push_back(record);
      continue;
    }
    uint64_t value;
    const bool option = number == layout::kSkipBad.number ||
                        number == layout::kReplaceExisting.number;
    if (!option || wire_type != json::kVarint || !in.ReadVarint(&value)) {
      return false;
    }
    (number == layout::kSkipBad.number ? skip_bad : replace_existing) =
        value != 0;
  }
  return true;
}

}  // namespace lmdbapi::server
