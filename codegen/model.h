// The validated model of a schema file: which messages are tables, how they
// link, their indexes, and the names of everything the emitters will write.
// Built from descriptors once; the emitters read only the model.
#ifndef LMDBAPI_CODEGEN_MODEL_H_
#define LMDBAPI_CODEGEN_MODEL_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "google/protobuf/descriptor.h"

namespace lmdbapi::codegen {

struct IndexModel {
  std::string name;
  std::vector<std::string> fields;
  bool unique = false;
};

// A field of a Filter request: equality on a record field, or one end of a
// range on it.
struct FilterField {
  enum class Role { kEquals, kMin, kMax };
  std::string name;  // "client", "issued_min", "issued_max"
  std::string type;  // proto type in the service file
  int number = 0;    // stable: derived from the record field's number
  Role role = Role::kEquals;
  std::string record_field;
  std::string comment;
};

struct TableModel {
  const google::protobuf::Descriptor* message = nullptr;
  std::string collection;       // "inspection_reports"
  std::string rest_collection;  // "inspection-reports"
  std::string service;          // "InspectionReports"
  std::string record_field;     // "inspection_report" (request field name)
  const google::protobuf::FieldDescriptor* primary_key = nullptr;
  const google::protobuf::FieldDescriptor* parent_key = nullptr;
  // Server-maintained fields, when the schema marks them (else nullptr).
  const google::protobuf::FieldDescriptor* revision = nullptr;
  const google::protobuf::FieldDescriptor* create_time = nullptr;
  const google::protobuf::FieldDescriptor* update_time = nullptr;
  int parent = -1;  // index into SchemaModel::tables, -1 for a main table
  std::vector<IndexModel> indexes;
  std::vector<FilterField> filter_fields;

  bool is_main() const { return parent < 0; }
  // Generated message names.
  std::string InsertRequest() const;
  std::string GetRequest() const;
  std::string UpdateRequest() const;
  std::string PatchRequest() const;
  std::string DeleteRequest() const;
  std::string DeleteResponse() const;
  std::string BatchInsertRequest() const;
  std::string BatchInsertResponse() const;
  std::string FilterRequest() const;
  std::string PaginateRequest() const;
  std::string Page() const;
  std::string WatchRequest() const;
  std::string Change() const;
};

struct SchemaModel {
  const google::protobuf::FileDescriptor* file = nullptr;
  std::vector<TableModel> tables;
  std::string service_proto;  // "proto/examples/permits_service.proto"
  std::string base;           // "proto/examples/permits"
  bool needs_wrappers = false;
  bool needs_timestamp = false;
  bool needs_field_mask = false;
};

// Validates the file's lmdbapi options. Errors name the message and the
// field (protoc adds the file), e.g. "message Permit, field 'colour': index
// 'main' names no field of the message".
absl::StatusOr<SchemaModel> BuildModel(
    const google::protobuf::FileDescriptor* file);

}  // namespace lmdbapi::codegen

#endif  // LMDBAPI_CODEGEN_MODEL_H_
