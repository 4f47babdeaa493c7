// The names of everything generated for a table and a schema file.
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "model/case.h"
#include "model/model.h"

namespace lmdbapi::model {

std::string TableModel::rest_collection() const {
  return absl::StrReplaceAll(collection, {{"_", "-"}});
}
std::string TableModel::service() const { return CamelCase(collection); }
std::string TableModel::record_field() const {
  return SnakeCase(message->name());
}
std::string TableModel::InsertRequest() const {
  return absl::StrCat("Insert", message->name(), "Request");
}
std::string TableModel::GetRequest() const {
  return absl::StrCat("Get", message->name(), "Request");
}
std::string TableModel::UpdateRequest() const {
  return absl::StrCat("Update", message->name(), "Request");
}
std::string TableModel::PatchRequest() const {
  return absl::StrCat("Patch", message->name(), "Request");
}
std::string TableModel::DeleteRequest() const {
  return absl::StrCat("Delete", message->name(), "Request");
}
std::string TableModel::DeleteResponse() const {
  return absl::StrCat("Delete", message->name(), "Response");
}
std::string TableModel::BatchInsertRequest() const {
  return absl::StrCat("BatchInsert", service(), "Request");
}
std::string TableModel::BatchInsertResponse() const {
  return absl::StrCat("BatchInsert", service(), "Response");
}
std::string TableModel::FilterRequest() const {
  return absl::StrCat("Filter", service(), "Request");
}
std::string TableModel::PaginateRequest() const {
  return absl::StrCat("Paginate", service(), "Request");
}
std::string TableModel::CountRequest() const {
  return absl::StrCat("Count", service(), "Request");
}
std::string TableModel::CountResponse() const {
  return absl::StrCat("Count", service(), "Response");
}
std::string TableModel::ImportRequest() const {
  return absl::StrCat("Import", service(), "Request");
}
std::string TableModel::ImportResponse() const {
  return absl::StrCat("Import", service(), "Response");
}
std::string TableModel::ExportRequest() const {
  return absl::StrCat("Export", service(), "Request");
}
std::string TableModel::ExportResponse() const {
  return absl::StrCat("Export", service(), "Response");
}
std::string TableModel::Page() const {
  return absl::StrCat(message->name(), "Page");
}
std::string TableModel::WatchRequest() const {
  return absl::StrCat("Watch", service(), "Request");
}
std::string TableModel::Change() const {
  return absl::StrCat(message->name(), "Change");
}

std::vector<std::string> TableModel::GeneratedNames() const {
  return {InsertRequest(),
          GetRequest(),
          UpdateRequest(),
          PatchRequest(),
          DeleteRequest(),
          DeleteResponse(),
          BatchInsertRequest(),
          BatchInsertResponse(),
          FilterRequest(),
          PaginateRequest(),
          CountRequest(),
          CountResponse(),
          ImportRequest(),
          ImportResponse(),
          ExportRequest(),
          ExportResponse(),
          Page(),
          WatchRequest(),
          Change(),
          service()};
}

std::string TableModel::RestBase() const {
  return absl::StrCat("/api/", rest_collection());
}

std::string TableModel::ParentLinkIndex() const {
  return parent_key == nullptr ? "" : absl::StrCat("by_", parent_key->name());
}

std::string SchemaModel::base() const {
  absl::string_view name = file->name();
  absl::ConsumeSuffix(&name, ".proto");
  return std::string(name);
}

std::string SchemaModel::service_proto() const {
  return base() + "_service.proto";
}

std::string SchemaModel::FullName(const std::string& service) const {
  return file->package().empty() ? service
                                 : absl::StrCat(file->package(), ".", service);
}

std::string SchemaModel::RestParentBase(const TableModel& t,
                                        bool in_body) const {
  const TableModel& parent = tables[t.parent];
  std::string key =
      in_body ? absl::StrCat(t.record_field(), ".", t.parent_key->name())
              : t.parent_key->name();
  return absl::StrCat(parent.RestBase(), "/{", key, "}/", t.rest_collection());
}

}  // namespace lmdbapi::model
