#include "codegen/cpp_emitter.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "codegen/commit_layout.h"
#include "codegen/printer.h"

namespace lmdbapi::codegen {
namespace {

std::string Namespace(const SchemaModel& model) {
  return absl::StrReplaceAll(model.file->package(), {{".", "::"}});
}

std::string Quoted(const std::vector<std::string>& names) {
  std::vector<std::string> quoted;
  for (const auto& n : names) quoted.push_back(absl::StrCat("\"", n, "\""));
  return absl::StrJoin(quoted, ", ");
}

void EmitImpl(const SchemaModel& model, const TableModel& t, Printer& p) {
  Printer::Vars v = {{"service", t.service},
                     {"record", t.message->name()},
                     {"collection", t.collection},
                     {"pk", t.primary_key->name()},
                     {"insert", t.InsertRequest()},
                     {"get", t.GetRequest()},
                     {"update", t.UpdateRequest()},
                     {"patch", t.PatchRequest()},
                     {"delete", t.DeleteRequest()},
                     {"delete_response", t.DeleteResponse()},
                     {"batch", t.BatchInsertRequest()},
                     {"batch_response", t.BatchInsertResponse()},
                     {"filter", t.FilterRequest()},
                     {"paginate", t.PaginateRequest()},
                     {"page", t.Page()},
                     {"watch", t.WatchRequest()},
                     {"change", t.Change()}};
  p.Print(v,
          "class $service$Impl final : public $service$::CallbackService {\n"
          " public:\n"
          "  explicit $service$Impl(TableService* table) : table_(table) {}\n"
          "\n"
          "  Reactor* Insert(Context* c, const $insert$* q, $record$* r) "
          "override {\n"
          "    return table_->Insert(c, *q, r);\n"
          "  }\n"
          "  Reactor* Get(Context* c, const $get$* q, $record$* r) override {\n"
          "    return table_->Get(c, q->$pk$(), r);\n"
          "  }\n");
  p.Print(v,
          "  Reactor* Update(Context* c, const $update$* q, $record$* r) "
          "override {\n"
          "    return table_->Update(c, *q, r);\n"
          "  }\n"
          "  Reactor* Patch(Context* c, const $patch$* q, $record$* r) "
          "override {\n"
          "    return table_->Patch(c, *q, r);\n"
          "  }\n");
  p.Print(v,
          "  Reactor* Delete(Context* c, const $delete$* q, "
          "$delete_response$*) override {\n"
          "    return table_->Delete(c, q->$pk$(), q->expected_revision());\n"
          "  }\n");
  if (t.is_main()) {
    p.Print(v,
            "  Reactor* BatchInsert(Context* c, const $batch$* q, "
            "$batch_response$* r) override {\n"
            "    return table_->BatchInsert(c, q->$collection$(), "
            "r->mutable_$collection$());\n"
            "  }\n"
            "  Reactor* Paginate(Context* c, const $paginate$* q, $page$* r) "
            "override {\n"
            "    return table_->Filter(c, *q, r->mutable_$collection$(), r);\n"
            "  }\n");
  }
  p.Print(
      v,
      "  Reactor* Filter(Context* c, const $filter$* q, $page$* r) override {\n"
      "    return table_->Filter(c, *q, r->mutable_$collection$(), r);\n"
      "  }\n"
      "  ::grpc::ServerWriteReactor<$change$>* Watch(Context* c, const "
      "$watch$* "
      "q) override {\n"
      "    return table_->Watch<$change$>(c, *q);\n"
      "  }\n"
      "\n"
      " private:\n"
      "  TableService* table_;\n"
      "};\n\n");
}

void EmitSpec(const SchemaModel& model, const TableModel& t, Printer& p) {
  Printer::Vars v = {{"collection", t.collection},
                     {"record", t.message->name()},
                     {"pk", t.primary_key->name()}};
  p.Print(v,
          "{\n"
          "  ::lmdbapi::storage::TableSpec spec;\n"
          "  spec.name = \"$collection$\";\n"
          "  spec.descriptor = $record$::descriptor();\n"
          "  spec.primary_key = \"$pk$\";\n");
  if (!t.is_main()) {
    p.Print({{"parent", model.tables[t.parent].collection},
             {"parent_key", t.parent_key->name()}},
            "  spec.parent_table = \"$parent$\";\n"
            "  spec.parent_key = \"$parent_key$\";\n");
  }
  for (auto [field, slot] : {std::make_pair(t.revision, "revision"),
                             std::make_pair(t.create_time, "create_time"),
                             std::make_pair(t.update_time, "update_time")}) {
    if (field == nullptr) continue;
    p.Print({{"slot", slot}, {"field", field->name()}},
            "  spec.$slot$ = \"$field$\";\n");
  }
  for (const IndexModel& index : t.indexes) {
    p.Print({{"name", index.name},
             {"fields", Quoted(index.fields)},
             {"unique", index.unique ? "true" : "false"}},
            "  spec.indexes.push_back({\"$name$\", {$fields$}, $unique$});\n");
  }
  p.Print(v,
          "  schema.tables.push_back(spec);\n"
          "}\n");
}

void EmitTransactionsImpl(Printer& p) {
  namespace L = ::lmdbapi::commit_layout;
  p.Print({{"service", L::kService},
           {"request", L::kRequest},
           {"response", L::kResponse}},
          "class $service$Impl final : public $service$::CallbackService {\n"
          " public:\n"
          "  explicit $service$Impl(CommitService* commits) : "
          "commits_(commits) {}\n"
          "\n"
          "  Reactor* Commit(Context* c, const $request$* q, $response$* r) "
          "override {\n"
          "    return commits_->Commit(c, *q, r);\n"
          "  }\n"
          "\n"
          " private:\n"
          "  CommitService* commits_;\n"
          "};\n\n");
}

}  // namespace

std::string EmitHeader(const SchemaModel& model) {
  Printer p;
  std::string guard =
      absl::StrCat(absl::StrReplaceAll(absl::AsciiStrToUpper(model.base),
                                       {{"/", "_"}, {".", "_"}, {"-", "_"}}),
                   "_LMDBAPI_H_");
  p.Print({{"file", model.file->name()},
           {"guard", guard},
           {"ns", Namespace(model)}},
          "// Generated by protoc-gen-lmdbapi from $file$. DO NOT EDIT.\n"
          "#ifndef $guard$\n"
          "#define $guard$\n"
          "\n"
          "#include \"server/schema.h\"\n"
          "\n"
          "namespace $ns$ {\n"
          "\n"
          "// The tables of $file$ and their gRPC services.\n"
          "::lmdbapi::server::Schema LmdbapiSchema();\n"
          "\n"
          "}  // namespace $ns$\n"
          "\n"
          "#endif  // $guard$\n");
  return p.str();
}

std::string EmitSource(const SchemaModel& model) {
  Printer p;
  std::string service_header =
      model.service_proto.substr(0, model.service_proto.size() - 6);
  p.Print({{"file", model.file->name()},
           {"base", model.base},
           {"service_header", service_header},
           {"ns", Namespace(model)}},
          "// Generated by protoc-gen-lmdbapi from $file$. DO NOT EDIT.\n"
          "#include \"$base$.lmdbapi.h\"\n"
          "\n"
          "#include \"$service_header$.grpc.pb.h\"\n"
          "#include \"server/table/commit_service.h\"\n"
          "#include \"server/table/table_service.h\"\n"
          "\n"
          "namespace $ns$ {\n"
          "namespace {\n"
          "\n"
          "using ::lmdbapi::server::CommitService;\n"
          "using ::lmdbapi::server::TableService;\n"
          "using Context = ::grpc::CallbackServerContext;\n"
          "using Reactor = ::grpc::ServerUnaryReactor;\n"
          "\n");
  for (const TableModel& t : model.tables) EmitImpl(model, t, p);
  EmitTransactionsImpl(p);
  p.Print({{"file", model.file->name()}},
          "}  // namespace\n"
          "\n"
          "::lmdbapi::server::Schema LmdbapiSchema() {\n"
          "  ::lmdbapi::server::Schema schema;\n"
          "  schema.file = \"$file$\";\n");
  p.Indent();
  for (const TableModel& t : model.tables) EmitSpec(model, t, p);
  for (const TableModel& t : model.tables) {
    p.Print(
        {{"service", t.service},
         {"full",
          absl::StrCat(
              model.file->package().empty() ? "" : model.file->package() + ".",
              t.service)},
         {"collection", t.collection}},
        "schema.services.push_back({\"$full$\", \"$collection$\", "
        "[](TableService* table) {\n"
        "  return std::unique_ptr<::grpc::Service>(new $service$Impl(table));\n"
        "}});\n");
  }
  p.Print({{"service", ::lmdbapi::commit_layout::kService},
           {"full", absl::StrCat(model.file->package().empty()
                                     ? ""
                                     : model.file->package() + ".",
                                 ::lmdbapi::commit_layout::kService)}},
          "schema.transactions = {\"$full$\", [](CommitService* commits) {\n"
          "  return std::unique_ptr<::grpc::Service>(new "
          "$service$Impl(commits));\n"
          "}};\n");
  p.Outdent();
  p.Print({{"ns", Namespace(model)}},
          "  return schema;\n"
          "}\n"
          "\n"
          "}  // namespace $ns$\n");
  return p.str();
}

std::string EmitMain(const SchemaModel& model) {
  Printer p;
  p.Print({{"file", model.file->name()},
           {"base", model.base},
           {"ns", Namespace(model)}},
          "// Generated by protoc-gen-lmdbapi from $file$. DO NOT EDIT.\n"
          "// The lmdbapi server for this schema: see --help.\n"
          "#include \"$base$.lmdbapi.h\"\n"
          "#include \"server/process/server_main.h\"\n"
          "\n"
          "int main(int argc, char** argv) {\n"
          "  return ::lmdbapi::server::ServerMain(argc, argv, "
          "::$ns$::LmdbapiSchema());\n"
          "}\n");
  return p.str();
}

}  // namespace lmdbapi::codegen
