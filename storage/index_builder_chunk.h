// The parts of an online build's chunk (storage/index_builder_chunk.cc),
// for the builder's files.
#ifndef LMDBAPI_STORAGE_INDEX_BUILDER_CHUNK_H_
#define LMDBAPI_STORAGE_INDEX_BUILDER_CHUNK_H_

#include <optional>
#include <string>
#include <vector>

#include "storage/index_build_record.h"
#include "storage/index_builder.h"
#include "storage/packed_entries.h"

namespace lmdbapi::storage {

// One index a chunk builds.
struct IndexBuilder::ChunkPart {
  size_t result;  // its ChunkResult, in the chunk's results
  const Table::Index* index;
  std::string key;  // of its build record in meta
  BuildRecord record;
  PackedEntries entries;  // of the chunk's records, sorted once all read
};

// What a chunk read: how many records, the last one's key, whether more
// follow; read ahead of the writer, a copy of each record too.
struct IndexBuilder::ChunkRead {
  size_t records = 0;
  std::optional<std::string> last;
  bool more = false;
  std::string copied;        // each record's key and value, back to back
  std::vector<size_t> ends;  // in `copied`, of each key and each value
};

struct IndexBuilder::ChunkAhead {
  std::vector<ChunkPart> parts;
  ChunkRead read;
};

}  // namespace lmdbapi::storage

#endif  // LMDBAPI_STORAGE_INDEX_BUILDER_CHUNK_H_
