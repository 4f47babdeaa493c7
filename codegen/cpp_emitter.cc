#include "codegen/cpp_emitter.h"

#include <iterator>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "codegen/printer.h"
#include "codegen/table_vars.h"
#include "model/commit_layout.h"
#include "model/request_layout.h"

namespace lmdbapi::codegen {

using model::FilterField;
using model::SchemaModel;
using model::TableModel;
namespace {

std::string Namespace(const SchemaModel& model) {
  return absl::StrReplaceAll(model.file->package(), {{".", "::"}});
}

// The raw methods of `t`'s service (model::layout), in order.
std::vector<std::string> RawMethods(const TableModel& t) {
  namespace L = model::layout;
  std::vector<std::string> names(std::begin(L::kRawWrites),
                                 std::end(L::kRawWrites));
  for (const char* name : L::kRawReads) {
    // only a main table has Paginate
    if (t.is_main() || absl::string_view(name) != "Paginate") {
      names.push_back(name);
    }
  }
  names.insert(names.end(), std::begin(L::kRawStreams),
               std::end(L::kRawStreams));
  return names;
}

// The class and its bases: the generated service with its raw methods.
void EmitImplHead(const TableModel& t, Printer::Vars v, Printer& p) {
  std::vector<std::string> raw = RawMethods(t);
  std::string bases;
  for (const std::string& name : raw) {
    absl::StrAppend(&bases, bases.empty() ? "" : "\n          ", v["service"],
                    "::WithRawCallbackMethod_", name, "<");
  }
  v["bases"] = bases;
  v["closes"] = std::string(raw.size(), '>');
  v["raw"] = absl::StrCat(absl::StrJoin(raw.begin(), raw.end() - 1, ", "),
                          " and ", raw.back());
  p.Print(v,
          "// $raw$ are raw methods:\n"
          "// the table service reads and writes their messages as bytes (an\n"
          "// Insert, a Get or a page answers the stored records' bytes; a\n"
          "// query's fields are found in its request's bytes).\n"
          "class $service$Impl final\n"
          "    : public $bases$\n"
          "          $service$::CallbackService$closes$ {\n"
          " public:\n"
          "  explicit $service$Impl(TableService* table) : table_(table) {}\n"
          "\n");
}

void EmitImpl(const TableModel& t, Printer& p) {
  Printer::Vars v = TableVars(t);
  EmitImplHead(t, v, p);
  p.Print(v,
          "  Reactor* Insert(Context* c, const ::grpc::ByteBuffer* q, "
          "::grpc::ByteBuffer* r) override {\n"
          "    return table_->WriteBytes<$insert$>(c, "
          "TableService::Write::kInsert, "
          "*q, r);\n"
          "  }\n"
          "  Reactor* Get(Context* c, const ::grpc::ByteBuffer* q, "
          "::grpc::ByteBuffer* r) override {\n"
          "    return table_->GetBytes<$get$, $record_type$>(c, *q, r);\n"
          "  }\n");
  p.Print(v,
          "  Reactor* Update(Context* c, const ::grpc::ByteBuffer* q, "
          "::grpc::ByteBuffer* r) override {\n"
          "    return table_->WriteBytes<$update$>(c, "
          "TableService::Write::kUpdate, "
          "*q, r);\n"
          "  }\n"
          "  Reactor* Patch(Context* c, const $patch$* q, $record_type$* r) "
          "override {\n"
          "    return table_->Patch(c, *q, r);\n"
          "  }\n");
  p.Print(v,
          "  Reactor* Delete(Context* c, const $delete$* q, "
          "$delete_response$*) override {\n"
          "    return table_->Delete(c, q->$pk$(), q->$expected_revision$());\n"
          "  }\n");
  if (t.is_main()) {
    p.Print(v,
            "  Reactor* BatchInsert(Context* c, const $batch$* q, "
            "$batch_response$* r) override {\n"
            "    return table_->BatchInsert(c, q->$collection$(), "
            "r->mutable_$collection$());\n"
            "  }\n"
            "  Reactor* Paginate(Context* c, const ::grpc::ByteBuffer* q, "
            "::grpc::ByteBuffer* r) override {\n"
            "    return table_->FilterBytes<$paginate$, $record_type$>(c, "
            "\"Paginate\", *q, r);\n"
            "  }\n");
  }
  p.Print(
      v,
      "  Reactor* Filter(Context* c, const ::grpc::ByteBuffer* q, "
      "::grpc::ByteBuffer* r) override {\n"
      "    return table_->FilterBytes<$filter$, $record_type$>(c, \"Filter\", "
      "*q, r);\n"
      "  }\n"
      "  Reactor* Count(Context* c, const ::grpc::ByteBuffer* q, "
      "::grpc::ByteBuffer* r) override {\n"
      "    return table_->CountBytes<$count$, $count_response$>(c, *q, r);\n"
      "  }\n"
      "  ::grpc::ServerWriteReactor<$change$>* Watch(Context* c, const "
      "$watch$* "
      "q) override {\n"
      "    return table_->Watch<$change$>(c, *q);\n"
      "  }\n"
      "  ::grpc::ServerReadReactor<::grpc::ByteBuffer>* Import(Context* c, "
      "::grpc::ByteBuffer* r) override {\n"
      "    return table_->Import<$import$, $import_response$>(c, r);\n"
      "  }\n"
      "  ::grpc::ServerWriteReactor<::grpc::ByteBuffer>* Export(Context* c, "
      "const ::grpc::ByteBuffer* q) override {\n"
      "    return table_->Export<$export$>(c, *q);\n"
      "  }\n"
      "\n"
      " private:\n"
      "  TableService* table_;\n"
      "};\n\n");
}

void EmitTransactionsImpl(Printer& p) {
  namespace L = ::lmdbapi::commit_layout;
  p.Print({{"service", L::kService}, {"request", L::kRequest}},
          "// Commit is a raw method: the commit service parses its request\n"
          "// (onto an arena) and writes its answer as bytes.\n"
          "class $service$Impl final\n"
          "    : public $service$::WithRawCallbackMethod_Commit<\n"
          "          $service$::CallbackService> {\n"
          " public:\n"
          "  explicit $service$Impl(CommitService* commits) : "
          "commits_(commits) {}\n"
          "\n"
          "  Reactor* Commit(Context* c, const ::grpc::ByteBuffer* q, "
          "::grpc::ByteBuffer* r) override {\n"
          "    return commits_->CommitBytes<$request$>(c, *q, r);\n"
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
      absl::StrCat(absl::StrReplaceAll(absl::AsciiStrToUpper(model.base()),
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
      model.service_proto().substr(0, model.service_proto().size() - 6);
  p.Print({{"file", model.file->name()},
           {"base", model.base()},
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
  for (const TableModel& t : model.tables) EmitImpl(t, p);
  EmitTransactionsImpl(p);
  p.Print({{"file", model.file->name()},
           {"record",
            "::" + absl::StrReplaceAll(model.tables[0].message->full_name(),
                                       {{".", "::"}})}},
          "}  // namespace\n"
          "\n"
          "::lmdbapi::server::Schema LmdbapiSchema() {\n"
          "  ::lmdbapi::server::Schema schema;\n"
          "  schema.file = \"$file$\";\n"
          "  // The tables, as the lmdbapi options of $file$ declare them.\n"
          "  schema.proto = $record$::descriptor()->file();\n");
  p.Indent();
  for (const TableModel& t : model.tables) {
    p.Print({{"service", t.service()},
             {"full", model.FullName(t.service())},
             {"collection", t.collection}},
            "schema.services.push_back({\"$full$\", \"$collection$\", "
            "[](TableService* table) {\n"
            "  return std::unique_ptr<::grpc::Service>(new "
            "$service$Impl(table));\n"
            "}});\n");
  }
  p.Print({{"service", ::lmdbapi::commit_layout::kService},
           {"full", model.FullName(::lmdbapi::commit_layout::kService)}},
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
           {"base", model.base()},
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
