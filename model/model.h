// The validated model of a schema: which messages are tables, how they link,
// their indexes, and the names and request layout of everything generated
// for them. The plugin (codegen/), storage (storage/schema.h) and the server
// all work from it, so a schema the plugin accepts is one the server opens.
//
//   ModelOf(file)        the lmdbapi options of a .proto file (plugin, server)
//   Resolve(declarations) hand-written declarations (storage's tests)
//
// Both check every rule here (model/validate.cc, model/options.cc) and fail
// with INVALID_ARGUMENT "<file>: message <Name>, field '<f>': <problem>".
#ifndef LMDBAPI_MODEL_MODEL_H_
#define LMDBAPI_MODEL_MODEL_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "google/protobuf/descriptor.h"
#include "model/declaration.h"
#include "model/field_kind.h"
#include "model/request_layout.h"

namespace lmdbapi::model {

// A field of a Filter request: equality on a record field, or one end of a
// range on it. Its number follows from the record field's (request_layout.h).
struct FilterField {
  std::string name;  // "client", "issued_min", "issued_max"
  std::string type;  // proto type in the service file
  int number = 0;
  FilterRole role = FilterRole::kEquals;
  std::string record_field;
  std::string comment;
};

// A field an index reads: a field of the record, or a field of a message
// the record nests, reached through singular message fields
// (`address.city`). The leaf may be repeated: one value per element.
struct FieldPath {
  // The message fields from the record, outermost first, then the leaf.
  std::vector<const google::protobuf::FieldDescriptor*> steps;

  const google::protobuf::FieldDescriptor* leaf() const { return steps.back(); }
  bool repeated() const { return leaf()->is_repeated(); }
  // The dotted path: "client", "address.city".
  std::string Name() const;
};

struct IndexModel {
  std::string name;
  std::vector<FieldPath> fields;  // in key order
  // One per field: its kind, or its elements' for a repeated field.
  std::vector<FieldKind> kinds;
  // Never with a repeated field (the rules refuse it).
  bool unique = false;
  // The dotted paths of the fields, in key order.
  std::vector<std::string> FieldNames() const;
  // The position of the repeated field (at most one), or -1.
  int RepeatedField() const;
};

struct TableModel {
  const google::protobuf::Descriptor* message = nullptr;
  std::string collection;  // "inspection_reports"
  const google::protobuf::FieldDescriptor* primary_key = nullptr;
  const google::protobuf::FieldDescriptor* parent_key = nullptr;
  // Server-maintained fields, when the schema marks them (else nullptr).
  const google::protobuf::FieldDescriptor* revision = nullptr;
  const google::protobuf::FieldDescriptor* create_time = nullptr;
  const google::protobuf::FieldDescriptor* update_time = nullptr;
  int parent = -1;  // index into SchemaModel::tables, -1 for a main table
  std::vector<IndexModel> indexes;  // as declared (no parent link)
  std::vector<FilterField> filter_fields;

  bool is_main() const { return parent < 0; }
  bool IsServerMaintained(const google::protobuf::FieldDescriptor* f) const;
  // The implicit index of a secondary table on its parent key.
  std::string ParentLinkIndex() const;

  // Generated names (model/names.cc).
  std::string rest_collection() const;  // "inspection-reports"
  std::string service() const;          // "InspectionReports"
  std::string record_field() const;     // "inspection_report"
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
  std::string CountRequest() const;
  std::string CountResponse() const;
  std::string ImportRequest() const;
  std::string ImportResponse() const;
  std::string ExportRequest() const;
  std::string ExportResponse() const;
  std::string Page() const;
  std::string WatchRequest() const;
  std::string Change() const;
  // Every generated message and service name of the table.
  std::vector<std::string> GeneratedNames() const;
  // REST: "/api/inspection-reports".
  std::string RestBase() const;
};

struct SchemaModel {
  const google::protobuf::FileDescriptor* file = nullptr;
  std::vector<TableModel> tables;
  // The same tables, as storage takes them (storage::TableSpec).
  std::vector<TableDecl> declarations;

  // "proto/examples/permits" for proto/examples/permits.proto.
  std::string base() const;
  // "proto/examples/permits_service.proto".
  std::string service_proto() const;
  // "lmdbapi.examples.permits.Permits" for a table's service or the
  // Transactions service.
  std::string FullName(const std::string& service) const;
  // REST: the parent's collection path with {<parent_key>} (or
  // {<record_field>.<parent_key>} when `in_body`), then the table's.
  std::string RestParentBase(const TableModel& t, bool in_body) const;
};

// Validates the lmdbapi options of `file` (every table and the file as a
// whole: generated names that clash with the schema's own).
absl::StatusOr<SchemaModel> ModelOf(
    const google::protobuf::FileDescriptor* file);

// Validates declarations written by hand. Every descriptor must belong to a
// file that outlives the model.
absl::StatusOr<std::vector<TableModel>> Resolve(
    const std::vector<TableDecl>& declarations);

}  // namespace lmdbapi::model

#endif  // LMDBAPI_MODEL_MODEL_H_
