// An Insert request read from its bytes without parsing it, when it holds
// just its record, once, and the record is canonical (storage::Table::
// Canonical): the service hands the record's bytes to Table::InsertCanonical,
// which stores them as they are (docs/BENCHMARKS.md, "An Insert's canonical
// record stored as received"). Any other request is parsed as before.
#ifndef LMDBAPI_SERVER_TABLE_CANONICAL_INSERT_H_
#define LMDBAPI_SERVER_TABLE_CANONICAL_INSERT_H_

#include "absl/strings/string_view.h"
#include "grpcpp/support/byte_buffer.h"
#include "server/table/byte_buffer_view.h"
#include "storage/table.h"

namespace lmdbapi::server {

struct CanonicalInsert {
  // Reads `buffer` as an Insert request of `table`: true when it is the
  // record's field alone (the parse would read the same record) and the
  // record is canonical.
  bool Read(const grpc::ByteBuffer& buffer, const storage::Table& table);

  ByteBufferView view;  // the bytes `record` is a view of
  absl::string_view record;
};

}  // namespace lmdbapi::server

#endif  // LMDBAPI_SERVER_TABLE_CANONICAL_INSERT_H_
