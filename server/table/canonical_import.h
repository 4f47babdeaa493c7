// An Import request read from its bytes without parsing it, when every
// record in it is canonical (storage::Table::Canonical): the stream hands
// the records' bytes to the importer, which stores them as they are
// (docs/BENCHMARKS.md, "An import's canonical records stored as received").
// A request that holds anything else is parsed as before.
#ifndef LMDBAPI_SERVER_TABLE_CANONICAL_IMPORT_H_
#define LMDBAPI_SERVER_TABLE_CANONICAL_IMPORT_H_

#include <vector>

#include "absl/strings/string_view.h"
#include "grpcpp/support/byte_buffer.h"
#include "server/table/byte_buffer_view.h"
#include "storage/table.h"

namespace lmdbapi::server {

struct CanonicalImport {
  // Reads `buffer` as an Import request of `table`: true when it holds only
  // records, each canonical, and the options (the parse would read the same
  // records in the same order, and the options' last values).
  bool Read(const grpc::ByteBuffer& buffer, const storage::Table& table);

  ByteBufferView view;  // the bytes the records are views of
  std::vector<absl::string_view> records;
  bool skip_bad = false;
  bool replace_existing = false;
};

}  // namespace lmdbapi::server

#endif  // LMDBAPI_SERVER_TABLE_CANONICAL_IMPORT_H_
