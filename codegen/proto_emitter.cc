#include "codegen/proto_emitter.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "codegen/printer.h"
#include "codegen/table_vars.h"
#include "model/commit_layout.h"
#include "model/filter_fields.h"

namespace lmdbapi::codegen {

using model::FilterField;
using model::SchemaModel;
using model::TableModel;
namespace {

void EmitWriteMessages(const TableModel& t, const Printer::Vars& v,
                       Printer& p) {
  p.Print(v,
          "// ---- $name$ ($collection$) ----\n\n"
          "message $insert$ {\n"
          "  // The record to store. An empty $pk$ gets a new UUIDv7.\n"
          "  $record$ $field$ = $record_n$;\n"
          "}\n\n"
          "message $get$ {\n"
          "  string $pk$ = $key_n$;\n"
          "  // The fields of $name$ to return (AIP-157), e.g. "
          "\"$mask_example$\"\n"
          "  // (REST: ?$get_read_mask$=$mask_example$). Empty: every field. "
          "Dotted paths\n"
          "  // reach into nested messages. INVALID_ARGUMENT for a path "
          "$name$ lacks.\n"
          "  google.protobuf.FieldMask $get_read_mask$ = $get_read_mask_n$;\n"
          "}\n\n"
          "message $update$ {\n"
          "  // Replaces the stored record with the same $pk$.\n"
          "  $record$ $field$ = $record_n$;\n"
          "  // 0: whatever the stored revision. Else ABORTED unless the "
          "stored\n"
          "  // record is at this revision (REST: If-Match: \"<revision>\").\n"
          "  int64 $expected_revision$ = $expected_revision_n$;\n"
          "}\n\n");
  p.Print(v,
          "message $patch$ {\n"
          "  // The $pk$ to patch, and the new values of the fields in "
          "$update_mask$.\n"
          "  $record$ $field$ = $record_n$;\n"
          "  // Fields of $name$ to change, e.g. \"client\", "
          "\"county_status\"; the\n"
          "  // others keep their stored values. REST: the fields present in "
          "the\n"
          "  // JSON body. Empty: every field present (non-default) in "
          "$field$.\n"
          "  google.protobuf.FieldMask $update_mask$ = $update_mask_n$;\n"
          "  // As in $update$ (REST: If-Match).\n"
          "  int64 $patch_expected_revision$ = $patch_expected_revision_n$;\n"
          "}\n\n"
          "message $delete$ {\n"
          "  string $pk$ = $key_n$;\n"
          "  // 0: whatever the stored revision. Else ABORTED unless the "
          "stored\n"
          "  // record is at this revision (REST: If-Match: \"<revision>\").\n"
          "  int64 $expected_revision$ = $expected_revision_n$;\n"
          "}\n\n"
          "message $delete_response$ {}\n\n");
  if (!t.is_main()) return;
  p.Print(v,
          "message $batch$ {\n"
          "  // Stored all together or not at all.\n"
          "  repeated $record$ $collection$ = $records_n$;\n"
          "}\n\n"
          "message $batch_response$ {\n"
          "  // The stored records, with their keys.\n"
          "  repeated $record$ $collection$ = $records_n$;\n"
          "}\n\n");
}

constexpr char kPagePosition[] =
    "  // Records per page: 0 means $default_page_size$; at most the server's\n"
    "  // --max_page_size ($max_page_size$ unless set).\n"
    "  int32 $page_size$ = $page_size_n$;\n";

constexpr char kFilterText[] =
    "  // Only records matching this AIP-160 expression "
    "(https://google.aip.dev/160),\n"
    "  // e.g. $filter_example$. Comparisons = != < <= > >= "
    "(strings quoted,\n"
    "  // enums by name, times in RFC 3339), AND, OR, NOT (or -), "
    "parentheses,\n"
    "  // nested fields (address.city = \"Oslo\"), the has operator on "
    "repeated\n"
    "  // fields (tags:\"vip\"), a trailing * for a prefix (name = "
    "\"Ac*\"). ANDed\n"
    "  // with the typed fields that are set. Empty: every record.\n"
    "  string $filter_text$ = $filter_text_n$;\n";

constexpr char kOrderAndMask[] =
    "  // The order of the records (AIP-132), e.g. \"issued desc, client\", "
    "served\n"
    "  // by an index whose key order matches (else INVALID_ARGUMENT naming "
    "the\n"
    "  // index to declare). Empty: the order of the index the server "
    "picks.\n"
    "  string $order_by$ = $order_by_n$;\n"
    "  // The fields of each $name$ to return (AIP-157), e.g. "
    "\"$mask_example$\"\n"
    "  // (REST: ?$read_mask$=$mask_example$). Empty: every field. Dotted "
    "paths\n"
    "  // reach into nested messages. INVALID_ARGUMENT for a path $name$ "
    "lacks.\n"
    "  google.protobuf.FieldMask $read_mask$ = $read_mask_n$;\n";

// `text` as "  // " comment lines of at most 80 characters.
std::string WrapComment(const std::string& text) {
  std::string out, line;
  for (absl::string_view word : absl::StrSplit(text, ' ')) {
    if (!line.empty() && line.size() + 1 + word.size() > 75) {
      absl::StrAppend(&out, "  // ", line, "\n");
      line.clear();
    }
    absl::StrAppend(&line, line.empty() ? "" : " ", word);
  }
  if (!line.empty()) absl::StrAppend(&out, "  // ", line, "\n");
  return out;
}

// The typed per-field constraints of a Filter or Count request.
void EmitTypedFields(const TableModel& t, Printer& p) {
  std::vector<std::string> untyped = model::UntypedFilterFields(t);
  p.Print(
      "  // Typed constraints, one record field each: every one that is set "
      "must\n"
      "  // hold.\n");
  if (!untyped.empty()) {
    p.Print(WrapComment(
        absl::StrCat("No typed field for ", absl::StrJoin(untyped, ", "),
                     " (the name is taken by a field of this request): "
                     "filter them through `filter`, e.g. \"",
                     untyped.front(), " = ...\".")));
  }
  for (const FilterField& f : t.filter_fields) {
    p.Print({{"type", f.type},
             {"name", f.name},
             {"number", absl::StrCat(f.number)},
             {"comment", f.comment}},
            "  // $comment$\n"
            "  $type$ $name$ = $number$;\n");
  }
}

void EmitListMessages(const TableModel& t, const Printer::Vars& v, Printer& p) {
  p.Print(
      v,
      "// Records matching `$filter_text$` and every set typed field, in "
      "`$order_by$`\n"
      "// order, else in index order. The server picks the index; `plan` in "
      "the\n"
      "// response says which.\n"
      "message $filter$ {\n");
  p.Print(v, kPagePosition);
  p.Print(v,
          "  // next_page_token of the previous page of the same query.\n"
          "  string $page_token$ = $page_token_n$;\n");
  p.Print(v, kFilterText);
  p.Print(v, kOrderAndMask);
  EmitTypedFields(t, p);
  p.Print(v, "}\n\n");
  p.Print(v,
          "// The number of records matching `$filter_text$` and every set "
          "typed field.\n"
          "message $count$ {\n");
  p.Print(v, kFilterText);
  EmitTypedFields(t, p);
  p.Print(v,
          "}\n\n"
          "message $count_response$ {\n"
          "  // The records that match (REST: a JSON string, as every "
          "int64).\n"
          "  int64 $count_field$ = $count_field_n$;\n"
          "  // How the server counted: which index ranges it read, or a "
          "full scan.\n"
          "  string $count_plan$ = $count_plan_n$;\n"
          "}\n\n");
  if (!t.is_main()) return;
  p.Print(v,
          "// Every record (or those matching `$filter_text$`), in key order "
          "(time order\n"
          "// for generated keys) unless `$order_by$` says otherwise.\n"
          "message $paginate$ {\n");
  p.Print(v, kPagePosition);
  p.Print(v,
          "  // next_page_token of the previous page.\n"
          "  string $page_token$ = $page_token_n$;\n");
  p.Print(v, kFilterText);
  p.Print(v, kOrderAndMask);
  p.Print(v, "}\n\n");
}

void EmitWatchMessages(const Printer::Vars& v, Printer& p) {
  p.Print(v,
          "// Changes to $name$ records, in revision order, as they commit.\n"
          "message $watch$ {\n"
          "  // The first revision to send: the last one received + 1 to "
          "resume\n"
          "  // without a gap. 0: changes after this call. OUT_OF_RANGE when "
          "the\n"
          "  // server no longer keeps it (--watch_retention).\n"
          "  int64 $start_revision$ = $start_revision_n$;\n"
          "  // Only changes whose record matches (for a delete: the record "
          "as it\n"
          "  // was): its typed fields and `$filter_text$`. $page_size$, "
          "$page_token$,\n"
          "  // $order_by$ and $read_mask$ are ignored.\n"
          "  $filter$ $watch_filter$ = $watch_filter_n$;\n"
          "}\n\n");
  p.Print(v,
          "message $change$ {\n"
          "  enum Type {\n"
          "    TYPE_UNSPECIFIED = 0;\n"
          "    INSERTED = $inserted_n$;\n"
          "    UPDATED = $updated_n$;\n"
          "    DELETED = $deleted_n$;\n"
          "  }\n"
          "  Type $change_type$ = $change_type_n$;\n"
          "  // The write's revision (the database's: one counter for all "
          "tables).\n"
          "  int64 $change_revision$ = $change_revision_n$;\n"
          "  // The record as written; for DELETED, as it was.\n"
          "  $record$ $field$ = $change_record_n$;\n"
          "  // The last change of its commit that this watch sends: true for "
          "a\n"
          "  // single write; a Transactions commit's changes share its "
          "revision.\n"
          "  bool $commit_end$ = $commit_end_n$;\n"
          "}\n\n");
}

void EmitImportMessages(const Printer::Vars& v, Printer& p) {
  p.Print(v,
          "// One message of an Import stream: a chunk of records (keep each "
          "message\n"
          "// under the server's --max_message_bytes, 4 MiB unless set). The "
          "options\n"
          "// are read from the stream's first message only.\n"
          "message $import$ {\n"
          "  // Inserted in stream order; an empty $pk$ gets a new UUIDv7. "
          "Server\n"
          "  // fields (revision, times) are ignored, as by Insert.\n"
          "  repeated $record$ $import_records$ = $import_records_n$;\n"
          "  // false: the first bad record (invalid, a duplicate key, a "
          "unique clash,\n"
          "  // a missing parent) ends the import with its error; the records "
          "before\n"
          "  // it are stored, none after. true: it is left out, listed in "
          "the\n"
          "  // response's $skipped$, and the import goes on.\n"
          "  bool $skip_bad$ = $skip_bad_n$;\n"
          "  // false: a record whose $pk$ is stored already is bad "
          "(ALREADY_EXISTS).\n"
          "  // true: it replaces the stored record, as Update would.\n"
          "  bool $replace_existing$ = $replace_existing_n$;\n"
          "}\n\n");
  p.Print(v,
          "// Sent once every record of the stream is stored and durable.\n"
          "message $import_response$ {\n"
          "  message Skipped {\n"
          "    // The record's place in the whole stream, from 1 (records of "
          "earlier\n"
          "    // messages count).\n"
          "    uint64 $skipped_position$ = $skipped_position_n$;\n"
          "    // Why, e.g. \"record 12: field 'fee_cents': ...\".\n"
          "    string $skipped_error$ = $skipped_error_n$;\n"
          "  }\n"
          "  // The records stored.\n"
          "  uint64 $imported$ = $imported_n$;\n"
          "  // The revision of the last record stored (0: none): Watch from "
          "the next\n"
          "  // one sees what was written after the import.\n"
          "  uint64 $import_revision$ = $import_revision_n$;\n"
          "  // With $skip_bad$: the records left out, in stream order; the "
          "first 1000\n"
          "  // of them when more were.\n"
          "  repeated Skipped $skipped$ = $skipped_n$;\n"
          "  // With $skip_bad$: how many records were left out.\n"
          "  uint64 $skipped_count$ = $skipped_count_n$;\n"
          "}\n\n");
}

void EmitExportMessages(const TableModel& t, const Printer::Vars& v,
                        Printer& p) {
  p.Print(v,
          "// Every record (or those matching `$export_filter$`) in $pk$ "
          "order, from one\n"
          "// read snapshot of the database.\n"
          "message $export$ {\n"
          "  // An AIP-160 expression, as Filter's (e.g. $filter_example$). "
          "Empty:\n"
          "  // every record.\n"
          "  string $export_filter$ = $export_filter_n$;\n");
  if (!t.is_main()) {
    p.Print(v,
            "  // Only the records of this parent (empty: every parent).\n"
            "  string $parent_key$ = $export_parent_n$;\n");
  }
  p.Print(v,
          "}\n\n"
          "// One chunk of an Export stream (up to ~1 MiB of records).\n"
          "message $export_response$ {\n"
          "  repeated $record$ $export_records$ = $export_records_n$;\n"
          "  // The revision of the snapshot, the same in every message: "
          "every write\n"
          "  // up to it is in the export, none after. Exports of two tables "
          "that\n"
          "  // report the same revision are of one state of the database.\n"
          "  uint64 $export_revision$ = $export_revision_n$;\n"
          "}\n\n");
}

void EmitPage(const Printer::Vars& v, Printer& p) {
  p.Print(v,
          "message $page$ {\n"
          "  repeated $record$ $collection$ = $page_records_n$;\n"
          "  // Pass as $page_token$ for the next page; empty on the last "
          "page.\n"
          "  string $next_page_token$ = $next_page_token_n$;\n"
          "  // How the server answered, e.g. \"index main_composite (client = "
          "...)\".\n"
          "  string $plan$ = $plan_n$;\n"
          "}\n\n");
}

// A filter on `field` for the comments: `stage = "abc"`.
std::string FilterExample(const google::protobuf::FieldDescriptor* field) {
  using google::protobuf::FieldDescriptor;
  const std::string& name = field->name();
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      return name + " = \"abc\"";
    case FieldDescriptor::CPPTYPE_BOOL:
      return name + " = true";
    case FieldDescriptor::CPPTYPE_ENUM: {
      const auto* e = field->enum_type();
      return name + " = " + e->value(e->value_count() > 1 ? 1 : 0)->name();
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:  // Timestamp
      return name + " >= \"2024-01-01T00:00:00Z\"";
    default:
      return name + " >= 10";
  }
}

// Examples for the comments of `t`'s requests, from its first filterable
// field other than its keys: a read_mask and a filter.
void AddExamples(const TableModel& t, Printer::Vars& v) {
  v["mask_example"] = t.primary_key->name();
  v["filter_example"] = FilterExample(t.primary_key);
  for (int i = 0; i < t.message->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* f = t.message->field(i);
    if (f == t.primary_key || f == t.parent_key || t.IsServerMaintained(f) ||
        !model::KindOfField(f).ok()) {
      continue;
    }
    v["mask_example"] = absl::StrCat(t.primary_key->name(), ",", f->name());
    v["filter_example"] = FilterExample(f);
    return;
  }
}

void EmitMessages(const TableModel& t, Printer& p) {
  Printer::Vars v = TableVars(t);
  AddExamples(t, v);
  EmitWriteMessages(t, v, p);
  EmitListMessages(t, v, p);
  EmitWatchMessages(v, p);
  EmitImportMessages(v, p);
  EmitExportMessages(t, v, p);
  EmitPage(v, p);
}

// Literal paths come before the {key} ones: grpc-gateway 1.6.4 tries
// patterns in the order they are registered (rpc order), so
// GET /api/<collection>/filter reaches Filter, not Get of key "filter".
void EmitInsertRpcs(const TableModel& t, const Printer::Vars& v, Printer& p) {
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
            "}\n"
            "// Stores all records in one transaction, or none.\n"
            "rpc BatchInsert($batch$) returns ($batch_response$) {\n"
            "  option (google.api.http) = {\n"
            "    post: \"$base$/batch\"\n"
            "    body: \"*\"\n"
            "    additional_bindings { post: \"$base$/batch-insert\" body: "
            "\"*\" }\n"
            "  };\n"
            "}\n");
    return;
  }
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

void EmitListRpcs(const TableModel& t, const Printer::Vars& v, Printer& p) {
  if (t.is_main()) {
    p.Print(v,
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
            "}\n"
            "// The number of records matching the query (query parameters "
            "over REST).\n"
            "rpc Count($count$) returns ($count_response$) {\n"
            "  option (google.api.http) = {\n"
            "    get: \"$base$/count\"\n"
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
            "}\n"
            "// The number of records of a parent (and/or matching the "
            "query).\n"
            "rpc Count($count$) returns ($count_response$) {\n"
            "  option (google.api.http) = {\n"
            "    get: \"$parent_base$/count\"\n"
            "    additional_bindings { get: \"$base$/count\" }\n"
            "  };\n"
            "}\n");
  }
  p.Print(v,
          "// Every change (insert, update, delete) from a revision on, as "
          "it\n"
          "// commits; REST: newline-delimited JSON objects.\n"
          "rpc Watch($watch$) returns (stream $change$) {\n"
          "  option (google.api.http) = {\n"
          "    get: \"$base$/watch\"\n"
          "  };\n"
          "}\n"
          "// Inserts a client stream of records in batches (indexes "
          "maintained);\n"
          "// answers once all are durable. A bad record: see $import$.\n"
          "// REST: a body of $import$ JSON objects, one after another.\n"
          "rpc Import(stream $import$) returns ($import_response$) {\n"
          "  option (google.api.http) = {\n"
          "    post: \"$base$/import\"\n"
          "    body: \"*\"\n"
          "  };\n"
          "}\n"
          "// Streams the records from one read snapshot, in chunks; REST:\n"
          "// newline-delimited JSON objects, one per chunk.\n"
          "rpc Export($export$) returns (stream $export_response$) {\n"
          "  option (google.api.http) = {\n"
          "    get: \"$base$/export\"\n"
          "  };\n"
          "}\n"
          "// The record with this key; NOT_FOUND when there is none.\n"
          "rpc Get($get$) returns ($record$) {\n"
          "  option (google.api.http) = {\n"
          "    get: \"$base$/{$pk$}\"\n"
          "  };\n"
          "}\n");
}

void EmitChangeRpcs(const TableModel& t, const Printer::Vars& v, Printer& p) {
  p.Print(v,
          "// Replaces the record with the same key; NOT_FOUND when there is "
          "none.\n");
  if (!t.is_main()) {
    p.Print(v,
            "// A new $parent_key$ (here or by Patch) moves the record, and "
            "its index\n"
            "// entries, to that parent, which must exist "
            "(FAILED_PRECONDITION).\n");
  }
  p.Print(v,
          "rpc Update($update$) returns ($record$) {\n"
          "  option (google.api.http) = {\n"
          "    put: \"$base$/{$field$.$pk$}\"\n"
          "    body: \"$field$\"\n"
          "    additional_bindings { put: \"$base$/update/{$field$.$pk$}\" "
          "body: \"$field$\" }\n"
          "  };\n"
          "}\n"
          "// Changes only the fields in $update_mask$, in one transaction; "
          "index\n"
          "// entries follow. INVALID_ARGUMENT for a path $name$ does not "
          "have.\n"
          "rpc Patch($patch$) returns ($record$) {\n"
          "  option (google.api.http) = {\n"
          "    patch: \"$base$/{$field$.$pk$}\"\n"
          "    body: \"$field$\"\n"
          "  };\n"
          "}\n");
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
}

void EmitService(const SchemaModel& model, const TableModel& t, Printer& p) {
  Printer::Vars v = TableVars(t);
  if (!t.is_main()) {
    v["parent_base"] = model.RestParentBase(t, /*in_body=*/false);
    v["parent_insert"] = model.RestParentBase(t, /*in_body=*/true);
  }
  p.Print(v,
          "// CRUD, filter and paging over $name$ records.\n"
          "service $service$ {\n");
  p.Indent();
  EmitInsertRpcs(t, v, p);
  EmitListRpcs(t, v, p);
  EmitChangeRpcs(t, v, p);
  p.Outdent();
  p.Print("}\n\n");
}

// The CommitWrite oneof: each table's four write requests.
void EmitCommitWrite(const SchemaModel& model, Printer& p) {
  namespace L = ::lmdbapi::commit_layout;
  p.Print({{"write", L::kWrite},
           {"ref", L::kKeyRef},
           {"key_refs", absl::StrCat(L::kKeyRefs)}},
          "// One write of a commit: an insert, update, patch or delete of a "
          "record\n"
          "// of any table, as the table's own request describes it.\n"
          "message $write$ {\n"
          "  // Fields of this write's record to set to the key of an "
          "earlier write\n"
          "  // of the same commit (e.g. a new order's key as its lines' "
          "parent key).\n"
          "  repeated $ref$ key_refs = $key_refs$;\n"
          "  oneof write {\n");
  for (size_t t = 0; t < model.tables.size(); ++t) {
    const TableModel& table = model.tables[t];
    const std::pair<L::Op, std::string> ops[] = {
        {L::kInsert, table.InsertRequest()},
        {L::kUpdate, table.UpdateRequest()},
        {L::kPatch, table.PatchRequest()},
        {L::kDelete, table.DeleteRequest()}};
    for (const auto& [op, request] : ops) {
      static const char* const kVerbs[] = {"insert", "update", "patch",
                                           "delete"};
      p.Print({{"request", request},
               {"name", absl::StrCat(kVerbs[op], "_", table.record_field())},
               {"number", absl::StrCat(L::WriteNumber(t, op))}},
              "    $request$ $name$ = $number$;\n");
    }
  }
  p.Print("  }\n}\n\n");
}

void EmitCommitMessages(const SchemaModel& model, Printer& p) {
  namespace L = ::lmdbapi::commit_layout;
  Printer::Vars v = {
      {"request", L::kRequest}, {"response", L::kResponse},
      {"write", L::kWrite},     {"precondition", L::kPrecondition},
      {"ref", L::kKeyRef},      {"result", L::kResult}};
  for (auto [name, number] :
       {std::pair<const char*, int>{"preconditions", L::kPreconditions},
        {"writes", L::kWrites},
        {"condition_collection", L::kConditionCollection},
        {"condition_key", L::kConditionKey},
        {"condition_exists", L::kConditionExists},
        {"condition_absent", L::kConditionAbsent},
        {"condition_revision", L::kConditionRevision},
        {"ref_field", L::kRefField},
        {"ref_write", L::kRefWrite},
        {"revision", L::kRevision},
        {"results", L::kResults},
        {"result_collection", L::kResultCollection},
        {"result_key", L::kResultKey}}) {
    v[std::string(name) + "_n"] = absl::StrCat(number);
  }
  p.Print(v,
          "// ---- Transactions: one atomic commit over every table ----\n\n"
          "message $request$ {\n"
          "  // Checked first; they write nothing. A failed one fails the "
          "commit.\n"
          "  repeated $precondition$ preconditions = $preconditions_n$;\n"
          "  // Applied in order, under one new revision: all, or none.\n"
          "  repeated $write$ writes = $writes_n$;\n"
          "}\n\n"
          "message $precondition$ {\n"
          "  // The table (its collection name) and the record's key.\n"
          "  string collection = $condition_collection_n$;\n"
          "  string key = $condition_key_n$;\n"
          "  oneof check {\n"
          "    // The record exists (FAILED_PRECONDITION otherwise).\n"
          "    bool exists = $condition_exists_n$;\n"
          "    // No record has this key (FAILED_PRECONDITION otherwise).\n"
          "    bool absent = $condition_absent_n$;\n"
          "    // The record is at this revision (ABORTED otherwise).\n"
          "    int64 revision = $condition_revision_n$;\n"
          "  }\n"
          "}\n\n"
          "message $ref$ {\n"
          "  // A string field of the written record, e.g. a parent key.\n"
          "  string field = $ref_field_n$;\n"
          "  // The position (from 0) of an earlier write in `writes`.\n"
          "  int32 write = $ref_write_n$;\n"
          "}\n\n");
  EmitCommitWrite(model, p);
  p.Print(v,
          "message $response$ {\n"
          "  // The revision every write of the commit took.\n"
          "  int64 revision = $revision_n$;\n"
          "  // Per write, in order: its table, key and the record as "
          "stored.\n"
          "  repeated $result$ results = $results_n$;\n"
          "}\n\n"
          "message $result$ {\n"
          "  string collection = $result_collection_n$;\n"
          "  string key = $result_key_n$;\n"
          "  // The record as stored (none for a delete).\n"
          "  oneof record {\n");
  for (size_t t = 0; t < model.tables.size(); ++t) {
    const TableModel& table = model.tables[t];
    p.Print({{"record", "." + table.message->full_name()},
             {"field", table.record_field()},
             {"number", absl::StrCat(L::kFirstRecord + t)}},
            "    $record$ $field$ = $number$;\n");
  }
  p.Print("  }\n}\n\n");
}

// True when a filter field's type is `type`, or starts with it and is a
// wrapper (for "google.protobuf.").
bool UsesFilterType(const SchemaModel& model, absl::string_view type) {
  for (const TableModel& t : model.tables) {
    for (const FilterField& f : t.filter_fields) {
      if (absl::EndsWith(type, ".") ? absl::StartsWith(f.type, type) &&
                                          f.type != "google.protobuf.Timestamp"
                                    : f.type == type) {
        return true;
      }
    }
  }
  return false;
}

void EmitCommitService(Printer& p) {
  namespace L = ::lmdbapi::commit_layout;
  p.Print({{"service", L::kService},
           {"request", L::kRequest},
           {"response", L::kResponse},
           {"path", L::kRestPath}},
          "// Atomic commits over several tables.\n"
          "service $service$ {\n"
          "  // Checks the preconditions, then applies every write in order "
          "under one\n"
          "  // new revision, or none of them: a refused one fails the commit "
          "with its\n"
          "  // code and a message naming its position and field "
          "(\"writes[2]: ...\").\n"
          "  rpc Commit($request$) returns ($response$) {\n"
          "    option (google.api.http) = {\n"
          "      post: \"$path$\"\n"
          "      body: \"*\"\n"
          "    };\n"
          "  }\n"
          "}\n");
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
  p.Print("import \"google/protobuf/field_mask.proto\";\n");  // Patch
  if (UsesFilterType(model, "google.protobuf.Timestamp"))
    p.Print("import \"google/protobuf/timestamp.proto\";\n");
  if (UsesFilterType(model, "google.protobuf."))
    p.Print("import \"google/protobuf/wrappers.proto\";\n");
  p.Print({{"file", model.file->name()}}, "import \"$file$\";\n\n");
  for (const TableModel& t : model.tables) EmitMessages(t, p);
  EmitCommitMessages(model, p);
  for (const TableModel& t : model.tables) EmitService(model, t, p);
  EmitCommitService(p);
  std::string out = p.str();
  while (absl::EndsWith(out, "\n\n")) out.pop_back();
  return out;
}

}  // namespace lmdbapi::codegen
