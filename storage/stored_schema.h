// The schema a data directory was written with. Database::Open records the
// schema's descriptors (a FileDescriptorSet of its .proto and everything it
// imports) in __lmdbapi_meta, so that a directory describes itself: tools
// read its records as JSON with no .proto at hand, and a server opened with
// an incompatible schema is refused with a message naming what changed.
#ifndef LMDBAPI_STORAGE_STORED_SCHEMA_H_
#define LMDBAPI_STORAGE_STORED_SCHEMA_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "storage/schema.h"

namespace lmdbapi::storage {

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

}  // namespace lmdbapi::storage

#endif  // LMDBAPI_STORAGE_STORED_SCHEMA_H_
