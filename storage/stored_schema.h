// The schema a data directory was written with. Database::Open records the
// schema's descriptors (a FileDescriptorSet of its .proto and everything it
// imports) in __lmdbapi_meta, so that a directory describes itself: tools
// read its records as JSON with no .proto at hand, and a server opened with
// an incompatible schema is refused with a message naming what changed
// (storage/schema_change.h).
//
// The record is the key "schema" of __lmdbapi_meta: a FileDescriptorSet,
// dependencies first, the schema's own .proto last. The tables are what the
// lmdbapi options of that last file declare (model::ModelOf): a schema from
// protoc-gen-lmdbapi is stored as compiled; tables declared by hand (a
// TableSpec list) are written into the stored copy's options, so reading it
// back gives the same tables.
#ifndef LMDBAPI_STORAGE_STORED_SCHEMA_H_
#define LMDBAPI_STORAGE_STORED_SCHEMA_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "storage/schema.h"

namespace lmdbapi::storage {

// The key of the record in __lmdbapi_meta.
inline constexpr char kStoredSchemaKey[] = "schema";

struct StoredSchema {
  std::unique_ptr<google::protobuf::DescriptorPool> pool;
  // The schema's .proto, e.g. "proto/examples/permits.proto".
  const google::protobuf::FileDescriptor* file = nullptr;
  std::unique_ptr<google::protobuf::DynamicMessageFactory> factory;
  // What the file declares (model::ModelOf), prototypes from `factory`:
  // ready for Database::Open.
  std::vector<TableSpec> tables;
};

// Reads the schema recorded in the data directory `data_dir` without
// writing to it (a read-only transaction; the directory may be on a
// read-only mount). NOT_FOUND when it holds no database or one written
// before schemas were recorded.
absl::StatusOr<StoredSchema> ReadStoredSchema(const std::string& data_dir);

// The record for `tables` (serialized FileDescriptorSet, deterministic).
// INVALID_ARGUMENT when the tables are not top-level messages of one .proto
// file, or one message serves two tables: a recorded schema is one file.
absl::StatusOr<std::string> EncodeStoredSchema(
    const std::vector<TableSpec>& tables);

// The schema of a record EncodeStoredSchema made. DATA_LOSS when it does
// not parse or build.
absl::StatusOr<StoredSchema> DecodeStoredSchema(absl::string_view record);

}  // namespace lmdbapi::storage

#endif  // LMDBAPI_STORAGE_STORED_SCHEMA_H_
