#include "server/table/canonical_insert.h"

#include <cstdint>

#include "json/wire_reader.h"  // header-only
#include "model/request_layout.h"

namespace lmdbapi::server {

bool CanonicalInsert::Read(const grpc::ByteBuffer& buffer,
                           const storage::Table& table) {
  if (!view.Read(buffer)) return false;
  json::WireReader in(view.bytes());
  uint32_t tag;
  return in.ReadTag(&tag) &&
         tag == ((model::layout::kRecord << 3) | json::kLengthDelimited) &&
         in.ReadLengthDelimited(&record) && in.done() &&
         table.Canonical(record);
}

}  // namespace lmdbapi::server
