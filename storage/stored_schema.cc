// The schema record of a data directory: encoding the tables' descriptors
// into a FileDescriptorSet, and building them back into a pool.
#include "storage/stored_schema.h"

#include <set>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"
#include "google/protobuf/descriptor.pb.h"
#include "model/model.h"
#include "proto/lmdbapi/options.pb.h"
#include "storage/coding.h"
#include "storage/environment.h"
#include "storage/lmdb.h"
#include "storage/status.h"

namespace lmdbapi::storage {
namespace {

using google::protobuf::DescriptorPool;
using google::protobuf::DescriptorProto;
using google::protobuf::FileDescriptor;
using google::protobuf::FileDescriptorProto;
using google::protobuf::FileDescriptorSet;

auto Fields(const model::IndexDecl& i) {
  return std::tie(i.name, i.fields, i.unique);
}
bool SameIndexes(const std::vector<model::IndexDecl>& a,
                 const std::vector<model::IndexDecl>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Fields(a[i]) != Fields(b[i])) return false;
  }
  return true;
}
auto Fields(const TableSpec& t) {
  return std::tie(t.name, t.descriptor, t.primary_key, t.parent_table,
                  t.parent_key, t.revision, t.create_time, t.update_time);
}
// The same tables, in any order.
bool SameTables(const std::vector<TableSpec>& a,
                const std::vector<TableSpec>& b) {
  if (a.size() != b.size()) return false;
  for (const TableSpec& x : a) {
    bool found = false;
    for (const TableSpec& y : b) {
      found |= Fields(x) == Fields(y) && SameIndexes(x.indexes, y.indexes);
    }
    if (!found) return false;
  }
  return true;
}

// The one file every table's message is a top-level message of.
absl::StatusOr<const FileDescriptor*> SchemaFile(
    const std::vector<TableSpec>& tables) {
  if (tables.empty()) return absl::InvalidArgumentError("tables: none given");
  const FileDescriptor* file = tables[0].descriptor->file();
  std::set<const google::protobuf::Descriptor*> seen;
  for (const TableSpec& t : tables) {
    std::string problem;
    if (t.descriptor->file() != file) {
      problem =
          absl::StrCat("is in ", t.descriptor->file()->name(), ", not in ",
                       file->name(), " with the first table's");
    } else if (t.descriptor->containing_type() != nullptr) {
      problem = "is nested in another message";
    } else if (!seen.insert(t.descriptor).second) {
      problem = "serves another table too";
    } else {
      continue;
    }
    return absl::InvalidArgumentError(
        absl::StrCat("table '", t.name, "': its message ",
                     t.descriptor->full_name(), " ", problem,
                     "; a data directory records one .proto file, whose "
                     "top-level messages are its tables"));
  }
  return file;
}

// The (lmdbapi.table) option declaring `t` (a table of `tables`).
lmdbapi::Table TableOption(const TableSpec& t,
                           const std::vector<TableSpec>& tables) {
  lmdbapi::Table option;
  option.set_collection(t.name);
  for (const TableSpec& parent : tables) {
    if (parent.name == t.parent_table && !t.parent_table.empty()) {
      option.set_parent(parent.descriptor->name());
    }
  }
  for (const model::IndexDecl& index : t.indexes) {
    lmdbapi::Index* out = option.add_indexes();
    out->set_name(index.name);
    for (const std::string& f : index.fields) out->add_fields(f);
    out->set_unique(index.unique);
  }
  return option;
}

// The roles `t` gives the field named `name`.
lmdbapi::Field FieldRoles(const TableSpec& t, const std::string& name) {
  lmdbapi::Field roles;
  roles.set_primary_key(name == t.primary_key);
  roles.set_parent_key(name == t.parent_key);
  roles.set_revision(name == t.revision);
  roles.set_create_time(name == t.create_time);
  roles.set_update_time(name == t.update_time);
  return roles;
}

// Rewrites the lmdbapi options of `file` to declare exactly `tables`.
void DeclareInOptions(const std::vector<TableSpec>& tables,
                      FileDescriptorProto* file) {
  for (DescriptorProto& message : *file->mutable_message_type()) {
    message.mutable_options()->ClearExtension(lmdbapi::table);
    for (auto& field : *message.mutable_field()) {
      field.mutable_options()->ClearExtension(lmdbapi::field);
    }
    for (const TableSpec& t : tables) {
      if (t.descriptor->name() != message.name()) continue;
      *message.mutable_options()->MutableExtension(lmdbapi::table) =
          TableOption(t, tables);
      for (auto& field : *message.mutable_field()) {
        lmdbapi::Field roles = FieldRoles(t, field.name());
        if (roles.ByteSizeLong() == 0) continue;
        *field.mutable_options()->MutableExtension(lmdbapi::field) = roles;
      }
    }
  }
}

// `file` and everything it imports, dependencies first.
void CollectFiles(const FileDescriptor* file, std::set<std::string>* seen,
                  FileDescriptorSet* set) {
  if (!seen->insert(file->name()).second) return;
  for (int i = 0; i < file->dependency_count(); ++i) {
    CollectFiles(file->dependency(i), seen, set);
  }
  file->CopyTo(set->add_file());
}

class ErrorCollector : public DescriptorPool::ErrorCollector {
 public:
  void AddError(const std::string& filename, const std::string& element_name,
                const google::protobuf::Message*, ErrorLocation,
                const std::string& message) override {
    errors_.push_back(
        absl::StrCat(filename, ": ", element_name, ": ", message));
  }
  std::string text() const { return absl::StrJoin(errors_, "; "); }

 private:
  std::vector<std::string> errors_;
};

// A pool of the set's files, and the last of them.
absl::StatusOr<const FileDescriptor*> BuildPool(const FileDescriptorSet& set,
                                                DescriptorPool* pool) {
  const FileDescriptor* last = nullptr;
  for (const FileDescriptorProto& proto : set.file()) {
    ErrorCollector errors;
    last = pool->BuildFileCollectingErrors(proto, &errors);
    if (last == nullptr) {
      return absl::DataLossError(
          absl::StrCat("the recorded schema does not build: ", errors.text()));
    }
  }
  if (last == nullptr) {
    return absl::DataLossError("the recorded schema holds no file");
  }
  return last;
}

}  // namespace

absl::StatusOr<std::string> EncodeStoredSchema(
    const std::vector<TableSpec>& tables) {
  LMDBAPI_ASSIGN_OR_RETURN(const FileDescriptor* file, SchemaFile(tables));
  FileDescriptorSet set;
  std::set<std::string> seen;
  CollectFiles(file, &seen, &set);
  absl::StatusOr<model::SchemaModel> declared = model::ModelOf(file);
  if (!declared.ok() || !SameTables(declared->declarations, tables)) {
    DeclareInOptions(tables, set.mutable_file(set.file_size() - 1));
  }
  std::string record = DeterministicBytes(set);
  // Read back, it must declare the same tables.
  LMDBAPI_ASSIGN_OR_RETURN(StoredSchema back, DecodeStoredSchema(record));
  std::vector<TableSpec> rebuilt = back.tables;
  for (TableSpec& t : rebuilt) {
    t.descriptor = file->FindMessageTypeByName(t.descriptor->name());
  }
  if (!SameTables(rebuilt, tables)) {
    return absl::InternalError(
        absl::StrCat("the schema recorded for ", file->name(),
                     " does not read back as the tables given"));
  }
  return record;
}

absl::StatusOr<StoredSchema> DecodeStoredSchema(absl::string_view record) {
  FileDescriptorSet set;
  if (!set.ParseFromArray(record.data(), static_cast<int>(record.size()))) {
    return absl::DataLossError("the recorded schema does not parse");
  }
  StoredSchema schema;
  schema.pool = std::make_unique<DescriptorPool>();
  // Options are parsed with the generated extensions of this program
  // (proto/lmdbapi/options.proto is linked in), so ModelOf sees them.
  LMDBAPI_ASSIGN_OR_RETURN(schema.file, BuildPool(set, schema.pool.get()));
  absl::StatusOr<model::SchemaModel> model = model::ModelOf(schema.file);
  if (!model.ok()) {
    return absl::DataLossError(
        absl::StrCat("the recorded schema declares no valid tables: ",
                     model.status().message()));
  }
  schema.tables = std::move(model->declarations);
  schema.factory = std::make_unique<google::protobuf::DynamicMessageFactory>(
      schema.pool.get());
  return schema;
}

absl::StatusOr<StoredSchema> ReadStoredSchema(const std::string& data_dir) {
  EnvOptions options;
  options.path = data_dir;
  options.read_only = true;
  absl::StatusOr<std::unique_ptr<Environment>> env = Environment::Open(options);
  if (absl::IsNotFound(env.status())) {  // no data.mdb: what makes one
    return absl::NotFoundError(
        absl::StrCat(env.status().message(),
                     "; a schema's server creates one when first started on "
                     "the directory (--data_dir), and records its schema"));
  }
  LMDBAPI_RETURN_IF_ERROR(env.status());
  LMDBAPI_ASSIGN_OR_RETURN(Environment::ReadTxn txn, (*env)->BeginRead());
  MDB_dbi meta;
  int rc = mdb_dbi_open(txn.get(), kMetaDb, 0, &meta);
  if (rc == MDB_NOTFOUND) {
    return absl::NotFoundError(absl::StrCat("data directory '", data_dir,
                                            "' holds no lmdbapi database"));
  }
  LMDBAPI_RETURN_IF_MDB_ERROR(rc, "open __lmdbapi_meta");
  absl::StatusOr<absl::string_view> record =
      GetValue(txn.get(), meta, kStoredSchemaKey);
  if (absl::IsNotFound(record.status())) {
    return absl::NotFoundError(absl::StrCat(
        "data directory '", data_dir,
        "' records no schema (written before lmdbapi recorded schemas; open "
        "it once with its server to record it)"));
  }
  LMDBAPI_RETURN_IF_ERROR(record.status());
  absl::StatusOr<StoredSchema> schema = DecodeStoredSchema(*record);
  if (!schema.ok()) {
    return absl::Status(schema.status().code(),
                        absl::StrCat("data directory '", data_dir,
                                     "': ", schema.status().message()));
  }
  return schema;
}

}  // namespace lmdbapi::storage
