#include "codegen/proto_emitter.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "codegen/printer.h"

namespace lmdbapi::codegen {
namespace {

void EmitMessages(const SchemaModel& model, const TableModel& t, Printer& p) {
  const std::string record = "." + t.message->full_name();
  const std::string pk = t.primary_key->name();
  Printer::Vars v = {{"record", record},
                     {"name", t.message->name()},
                     {"field", t.record_field},
                     {"pk", pk},
                     {"collection", t.collection},
                     {"insert", t.InsertRequest()},
                     {"get", t.GetRequest()},
                     {"update", t.UpdateRequest()},
                     {"delete", t.DeleteRequest()},
                     {"delete_response", t.DeleteResponse()},
                     {"batch", t.BatchInsertRequest()},
                     {"batch_response", t.BatchInsertResponse()},
                     {"filter", t.FilterRequest()},
                     {"paginate", t.PaginateRequest()},
                     {"page", t.Page()}};
  p.Print(v,
          "// ---- $name$ ($collection$) ----\n\n"
          "message $insert$ {\n"
          "  // The record to store. An empty $pk$ gets a new UUIDv7.\n"
          "  $record$ $field$ = 1;\n"
          "}\n\n"
          "message $get$ {\n"
          "  string $pk$ = 1;\n"
          "}\n\n");
  if (t.is_main()) {
    p.Print(v,
            "message $update$ {\n"
            "  // Replaces the stored record with the same $pk$.\n"
            "  $record$ $field$ = 1;\n"
            "}\n\n");
  }
  p.Print(v,
          "message $delete$ {\n"
          "  string $pk$ = 1;\n"
          "}\n\n"
          "message $delete_response$ {}\n\n");
  if (t.is_main()) {
    p.Print(v,
            "message $batch$ {\n"
            "  // Stored all together or not at all.\n"
            "  repeated $record$ $collection$ = 1;\n"
            "}\n\n"
            "message $batch_response$ {\n"
            "  // The stored records, with their keys.\n"
            "  repeated $record$ $collection$ = 1;\n"
            "}\n\n");
  }
  p.Print(
      v,
      "// Records matching every set field, in index order. The server picks\n"
      "// the index with the longest usable prefix; `plan` in the response\n"
      "// says which.\n"
      "message $filter$ {\n"
      "  // Records per page: 0 means 50, at most 1000.\n"
      "  int32 page_size = 1;\n"
      "  // next_page_token of the previous page of the same filter.\n"
      "  string page_token = 2;\n");
  for (const FilterField& f : t.filter_fields) {
    p.Print({{"type", f.type},
             {"name", f.name},
             {"number", absl::StrCat(f.number)},
             {"comment", f.comment}},
            "  // $comment$\n"
            "  $type$ $name$ = $number$;\n");
  }
  p.Print(v, "}\n\n");
  if (t.is_main()) {
    p.Print(v,
            "// Every record, in key order (time order for generated keys).\n"
            "message $paginate$ {\n"
            "  // Records per page: 0 means 50, at most 1000.\n"
            "  int32 page_size = 1;\n"
            "  // next_page_token of the previous page.\n"
            "  string page_token = 2;\n"
            "}\n\n");
  }
  p.Print(v,
          "message $page$ {\n"
          "  repeated $record$ $collection$ = 1;\n"
          "  // Pass as page_token for the next page; empty on the last page.\n"
          "  string next_page_token = 2;\n"
          "  // How the server answered, e.g. \"index main_composite (client = "
          "...)\".\n"
          "  string plan = 3;\n"
          "}\n\n");
}

void EmitService(const SchemaModel& model, const TableModel& t, Printer& p) {
  std::string base = "/api/" + t.rest_collection;
  std::string parent_base, parent_insert;
  if (!t.is_main()) {
    const TableModel& parent = model.tables[t.parent];
    parent_base = absl::StrCat("/api/", parent.rest_collection, "/{",
                               t.parent_key->name(), "}/", t.rest_collection);
    parent_insert =
        absl::StrCat("/api/", parent.rest_collection, "/{", t.record_field, ".",
                     t.parent_key->name(), "}/", t.rest_collection);
  }
  Printer::Vars v = {{"service", t.service},
                     {"record", "." + t.message->full_name()},
                     {"name", t.message->name()},
                     {"field", t.record_field},
                     {"pk", t.primary_key->name()},
                     {"base", base},
                     {"parent_base", parent_base},
                     {"parent_insert", parent_insert},
                     {"insert", t.InsertRequest()},
                     {"get", t.GetRequest()},
                     {"update", t.UpdateRequest()},
                     {"delete", t.DeleteRequest()},
                     {"delete_response", t.DeleteResponse()},
                     {"batch", t.BatchInsertRequest()},
                     {"batch_response", t.BatchInsertResponse()},
                     {"filter", t.FilterRequest()},
                     {"paginate", t.PaginateRequest()},
                     {"page", t.Page()},
                     {"parent_key", t.parent_key ? t.parent_key->name() : ""}};
  p.Print(v,
          "// CRUD, filter and paging over $name$ records.\n"
          "service $service$ {\n");
  p.Indent();
  // Literal paths come before the {key} ones: grpc-gateway 1.6.4 tries
  // patterns in the order they are registered (rpc order), so
  // GET /api/<collection>/filter reaches Filter, not Get of key "filter".
  if (t.is_main()) {
    p.Print(v,
            "// Stores a new record; returns it with its key.\n"
            "rpc Insert($insert$) returns ($record$) {\n"
            "  option (google.api.http) = {\n"
            "    post: \"$base$\"\n"
            "    body: \"$field$\"\n"
            "    additional_bindings { post: \"$base$/insert-record\" body: "
            "\"$field$\" }\n"
            "  };\n"
            "}\n");
  } else {
    p.Print(v,
            "// Stores a new record under an existing parent; returns it with "
            "its key.\n"
            "rpc Insert($insert$) returns ($record$) {\n"
            "  option (google.api.http) = {\n"
            "    post: \"$parent_insert$\"\n"
            "    body: \"$field$\"\n"
            "    additional_bindings { post: \"$base$\" body: \"$field$\" }\n"
            "    additional_bindings { post: \"$base$/insert-record\" body: "
            "\"$field$\" }\n"
            "  };\n"
            "}\n");
  }
  if (t.is_main()) {
    p.Print(v,
            "// Stores all records in one transaction, or none.\n"
            "rpc BatchInsert($batch$) returns ($batch_response$) {\n"
            "  option (google.api.http) = {\n"
            "    post: \"$base$/batch\"\n"
            "    body: \"*\"\n"
            "    additional_bindings { post: \"$base$/batch-insert\" body: "
            "\"*\" }\n"
            "  };\n"
            "}\n"
            "// Records matching the set fields (query parameters over REST).\n"
            "rpc Filter($filter$) returns ($page$) {\n"
            "  option (google.api.http) = {\n"
            "    get: \"$base$/filter\"\n"
            "    additional_bindings { get: \"$base$/get-record\" }\n"
            "  };\n"
            "}\n"
            "// Every record, a page at a time.\n"
            "rpc Paginate($paginate$) returns ($page$) {\n"
            "  option (google.api.http) = {\n"
            "    get: \"$base$\"\n"
            "    additional_bindings { get: \"$base$/paginate\" }\n"
            "  };\n"
            "}\n");
  } else {
    p.Print(v,
            "// Records of a parent (and/or matching the set fields).\n"
            "rpc Filter($filter$) returns ($page$) {\n"
            "  option (google.api.http) = {\n"
            "    get: \"$parent_base$\"\n"
            "    additional_bindings { get: \"$base$/filter\" }\n"
            "    additional_bindings { get: \"$base$/get-record\" }\n"
            "  };\n"
            "}\n");
  }
  p.Print(v,
          "// The record with this key; NOT_FOUND when there is none.\n"
          "rpc Get($get$) returns ($record$) {\n"
          "  option (google.api.http) = {\n"
          "    get: \"$base$/{$pk$}\"\n"
          "  };\n"
          "}\n");
  if (t.is_main()) {
    p.Print(v,
            "// Replaces the record with the same key; NOT_FOUND when there is "
            "none.\n"
            "rpc Update($update$) returns ($record$) {\n"
            "  option (google.api.http) = {\n"
            "    put: \"$base$/{$field$.$pk$}\"\n"
            "    body: \"$field$\"\n"
            "    additional_bindings { put: \"$base$/update/{$field$.$pk$}\" "
            "body: \"$field$\" }\n"
            "  };\n"
            "}\n");
  }
  p.Print(v, t.is_main()
                 ? "// Deletes the record and, in the same transaction, its "
                   "child records.\n"
                 : "// Deletes the record (and its own children, if any).\n");
  p.Print(v,
          "rpc Delete($delete$) returns ($delete_response$) {\n"
          "  option (google.api.http) = {\n"
          "    delete: \"$base$/{$pk$}\"\n"
          "    additional_bindings { delete: \"$base$/delete/{$pk$}\" }\n"
          "  };\n"
          "}\n");
  p.Outdent();
  p.Print("}\n\n");
}

}  // namespace

std::string EmitServiceProto(const SchemaModel& model) {
  Printer p;
  p.Print({{"file", model.file->name()}, {"package", model.file->package()}},
          "// Generated by protoc-gen-lmdbapi from $file$. DO NOT EDIT.\n"
          "// Services over the tables of $file$: build clients in any\n"
          "// language from this file; REST paths come from the http rules.\n"
          "syntax = \"proto3\";\n\n");
  if (!model.file->package().empty()) {
    p.Print({{"package", model.file->package()}}, "package $package$;\n\n");
  }
  p.Print("import \"google/api/annotations.proto\";\n");
  if (model.needs_timestamp)
    p.Print("import \"google/protobuf/timestamp.proto\";\n");
  if (model.needs_wrappers)
    p.Print("import \"google/protobuf/wrappers.proto\";\n");
  p.Print({{"file", model.file->name()}}, "import \"$file$\";\n\n");
  for (const TableModel& t : model.tables) EmitMessages(model, t, p);
  for (const TableModel& t : model.tables) EmitService(model, t, p);
  std::string out = p.str();
  while (absl::EndsWith(out, "\n\n")) out.pop_back();
  return out;
}

}  // namespace lmdbapi::codegen
