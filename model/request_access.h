// Typed access, at run time, to the messages protoc-gen-lmdbapi generates,
// through their layout (model/request_layout.h). The server handles every
// table with one code path over google::protobuf::Message; these are the
// only places that know where a generated field lives.
#ifndef LMDBAPI_MODEL_REQUEST_ACCESS_H_
#define LMDBAPI_MODEL_REQUEST_ACCESS_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "model/request_layout.h"
#include "model/wire_fields.h"

namespace lmdbapi::model {

// The field with this number (nullptr when the message has none).
const google::protobuf::FieldDescriptor* FieldAt(
    const google::protobuf::Message& message, int number);

// Get and Delete requests: the primary key.
std::string Key(const google::protobuf::Message& request);
// A Get request's read_mask paths, as sent (empty when unset).
std::vector<std::string> GetReadMaskPaths(
    const google::protobuf::Message& request);

// Filter, Paginate and Count requests (0 or "" for a field the request type
// does not have: Count has no page_size, page_token, order_by, read_mask).
int32_t PageSize(const google::protobuf::Message& request);
std::string PageToken(const google::protobuf::Message& request);
std::string FilterText(const google::protobuf::Message& request);
std::string OrderBy(const google::protobuf::Message& request);
// A Filter or Paginate request's read_mask paths, as sent (empty when unset).
std::vector<std::string> ReadMaskPaths(
    const google::protobuf::Message& request);
// Clears read_mask (a request's records then come whole).
void ClearReadMask(google::protobuf::Message* request);
void SetPageSize(google::protobuf::Message* request, int32_t size);
void SetPageToken(google::protobuf::Message* request, const std::string& token);
// Clears page_size and page_token: what is left is the query itself.
void ClearPosition(google::protobuf::Message* request);

// A Filter request's field: which record field it constrains, and how.
struct FilterRequestField {
  const google::protobuf::FieldDescriptor* request_field = nullptr;
  const google::protobuf::FieldDescriptor* record_field = nullptr;
  FilterRole role = FilterRole::kEquals;
};
// The typed constraint fields a Filter or Count request sets (not the
// request's own fields, layout::kListFields), in field number order: each
// message field that is present, string or enum that is not empty or 0.
// protobuf's ListFields, which tests every field of the request type.
std::vector<FilterRequestField> SetFilterFields(
    const google::protobuf::Message& request,
    const google::protobuf::Descriptor* record);
// The same read from `wire`, the fields of the bytes `request` was parsed
// from: the typed constraint fields whose tags occur there, in field number
// order, each once. A string or enum sent with its default value is listed
// too (its reader treats it as unset, as for the message). Cheaper than the
// message's reflection, which tests every field of the request type (~6,500
// instructions for the example's 41 fields).
std::vector<FilterRequestField> SetFilterFields(
    const WireFields& wire, const google::protobuf::Descriptor* request,
    const google::protobuf::Descriptor* record);

// Whether a tag of field `number` occurs in `wire` (a message's bytes): when
// it does not, that field is unset in the message parsed from them. A scan
// of the tags, for a raw method that skips reading an absent field by
// reflection.
bool WireHasField(absl::string_view wire, int number);

// Update and Patch requests (0 when the request type has no such field).
int64_t UpdateExpectedRevision(const google::protobuf::Message& request);
int64_t PatchExpectedRevision(const google::protobuf::Message& request);
// A Patch request's update_mask paths, as sent (empty when unset).
std::vector<std::string> UpdateMaskPaths(
    const google::protobuf::Message& request);

// Watch requests.
int64_t StartRevision(const google::protobuf::Message& request);
// The Filter request a Watch carries; nullptr when unset.
const google::protobuf::Message* WatchFilter(
    const google::protobuf::Message& request);

// <Record>Change messages.
void SetChange(google::protobuf::Message* change, int type, int64_t revision,
               bool commit_end);
google::protobuf::Message* MutableChangeRecord(
    google::protobuf::Message* change);

// <Record>Page messages.
const google::protobuf::FieldDescriptor* PageRecords(
    const google::protobuf::Descriptor* page);
std::string NextPageToken(const google::protobuf::Message& page);
void SetNextPageToken(google::protobuf::Message* page,
                      const std::string& token);
void SetPlan(google::protobuf::Message* page, const std::string& plan);

// Count<Service>Response messages.
int64_t Count(const google::protobuf::Message& response);
std::string CountPlan(const google::protobuf::Message& response);
void SetCount(google::protobuf::Message* response, int64_t count,
              const std::string& plan);

// Import<Service>Request messages: the records (to take without a copy) and
// the options.
google::protobuf::RepeatedPtrField<google::protobuf::Message>* ImportRecords(
    google::protobuf::Message* request);
bool ImportSkipBad(const google::protobuf::Message& request);
bool ImportReplaceExisting(const google::protobuf::Message& request);
// Import<Service>Response messages: `skipped` is (position, error) each;
// the first layout::kMaxSkippedListed are listed, skipped_count counts all.
void SetImportResult(
    google::protobuf::Message* response, uint64_t imported, uint64_t revision,
    const std::vector<std::pair<uint64_t, std::string>>& skipped);

// Export<Service>Request messages: the filter, and a child table's parent
// key ("" for a main table).
std::string ExportFilter(const google::protobuf::Message& request);
std::string ExportParent(const google::protobuf::Message& request);
// Export<Service>Response messages are written as bytes
// (server/table/export_stream.cc, layout::kExportRecords, kExportRevision).

}  // namespace lmdbapi::model

#endif  // LMDBAPI_MODEL_REQUEST_ACCESS_H_
