#include "codegen/table_vars.h"

#include "absl/strings/str_cat.h"

namespace lmdbapi::codegen {
namespace {

void AddSlot(Printer::Vars& v, const std::string& key, model::FieldSlot slot) {
  v[key] = slot.name;
  v[key + "_n"] = absl::StrCat(slot.number);
}

}  // namespace

Printer::Vars TableVars(const model::TableModel& t) {
  namespace L = model::layout;
  Printer::Vars v = {
      {"record", "." + t.message->full_name()},
      {"record_type", t.message->name()},
      {"name", t.message->name()},
      {"field", t.record_field()},
      {"pk", t.primary_key->name()},
      {"collection", t.collection},
      {"service", t.service()},
      {"base", t.RestBase()},
      {"parent_key", t.parent_key != nullptr ? t.parent_key->name() : ""},
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
      {"count", t.CountRequest()},
      {"count_response", t.CountResponse()},
      {"import", t.ImportRequest()},
      {"import_response", t.ImportResponse()},
      {"export", t.ExportRequest()},
      {"export_response", t.ExportResponse()},
      {"export_parent_n", absl::StrCat(L::kExportParent)},
      {"page", t.Page()},
      {"watch", t.WatchRequest()},
      {"change", t.Change()},
      {"record_n", absl::StrCat(L::kRecord)},
      {"key_n", absl::StrCat(L::kKey)},
      {"records_n", absl::StrCat(L::kRecords)},
      {"page_records_n", absl::StrCat(L::kPageRecords)},
      {"change_record_n", absl::StrCat(L::kChangeRecord)},
      {"default_page_size", absl::StrCat(L::kDefaultPageSize)},
      {"max_page_size", absl::StrCat(L::kMaxPageSize)},
      {"inserted_n", absl::StrCat(L::kChangeInserted)},
      {"updated_n", absl::StrCat(L::kChangeUpdated)},
      {"deleted_n", absl::StrCat(L::kChangeDeleted)}};
  AddSlot(v, "expected_revision", L::kExpectedRevision);
  AddSlot(v, "update_mask", L::kUpdateMask);
  AddSlot(v, "patch_expected_revision", L::kPatchExpectedRevision);
  AddSlot(v, "page_size", L::kPageSize);
  AddSlot(v, "page_token", L::kPageToken);
  AddSlot(v, "filter_text", L::kFilter);
  AddSlot(v, "order_by", L::kOrderBy);
  AddSlot(v, "read_mask", L::kReadMask);
  AddSlot(v, "get_read_mask", L::kGetReadMask);
  AddSlot(v, "count_field", L::kCount);
  AddSlot(v, "count_plan", L::kCountPlan);
  AddSlot(v, "next_page_token", L::kNextPageToken);
  AddSlot(v, "plan", L::kPlan);
  AddSlot(v, "import_records", L::kImportRecords);
  AddSlot(v, "skip_bad", L::kSkipBad);
  AddSlot(v, "replace_existing", L::kReplaceExisting);
  AddSlot(v, "imported", L::kImported);
  AddSlot(v, "import_revision", L::kImportRevision);
  AddSlot(v, "skipped", L::kSkipped);
  AddSlot(v, "skipped_position", L::kSkippedPosition);
  AddSlot(v, "skipped_error", L::kSkippedError);
  AddSlot(v, "skipped_count", L::kSkippedCount);
  AddSlot(v, "export_filter", L::kExportFilter);
  AddSlot(v, "export_records", L::kExportRecords);
  AddSlot(v, "export_revision", L::kExportRevision);
  AddSlot(v, "start_revision", L::kStartRevision);
  AddSlot(v, "watch_filter", L::kWatchFilter);
  AddSlot(v, "change_type", L::kChangeType);
  AddSlot(v, "change_revision", L::kChangeRevision);
  AddSlot(v, "commit_end", L::kCommitEnd);
  return v;
}

}  // namespace lmdbapi::codegen
