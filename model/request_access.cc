#include "model/request_access.h"

#include <algorithm>

#include "absl/container/inlined_vector.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"

namespace lmdbapi::model {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

const FieldDescriptor* Slot(const Message& message, FieldSlot slot) {
  return FieldAt(message, slot.number);
}

// A string field's value; "" when the message has no such field.
std::string StringOrEmpty(const Message& message, FieldSlot slot) {
  const FieldDescriptor* f = Slot(message, slot);
  return f == nullptr ? "" : message.GetReflection()->GetString(message, f);
}

// The paths of the google.protobuf.FieldMask at `slot` (empty when unset or
// when the message has none there).
std::vector<std::string> MaskPaths(const Message& message, FieldSlot slot) {
  const FieldDescriptor* mask_field = Slot(message, slot);
  std::vector<std::string> paths;
  if (mask_field == nullptr || mask_field->message_type() == nullptr ||
      mask_field->message_type()->full_name() != "google.protobuf.FieldMask" ||
      !message.GetReflection()->HasField(message, mask_field)) {
    return paths;
  }
  const Message& mask =
      message.GetReflection()->GetMessage(message, mask_field);
  // google.protobuf.FieldMask { repeated string paths = 1; }
  const FieldDescriptor* repeated = FieldAt(mask, 1);
  for (int i = 0; i < mask.GetReflection()->FieldSize(mask, repeated); ++i) {
    paths.push_back(mask.GetReflection()->GetRepeatedString(mask, repeated, i));
  }
  return paths;
}

}  // namespace

const FieldDescriptor* FieldAt(const Message& message, int number) {
  return message.GetDescriptor()->FindFieldByNumber(number);
}

std::string Key(const Message& request) {
  return request.GetReflection()->GetString(request,
                                            FieldAt(request, layout::kKey));
}

std::vector<std::string> GetReadMaskPaths(const Message& request) {
  return MaskPaths(request, layout::kGetReadMask);
}

int32_t PageSize(const Message& request) {
  const FieldDescriptor* f = Slot(request, layout::kPageSize);
  return f == nullptr ? 0 : request.GetReflection()->GetInt32(request, f);
}

std::string PageToken(const Message& request) {
  return StringOrEmpty(request, layout::kPageToken);
}

std::string FilterText(const Message& request) {
  return StringOrEmpty(request, layout::kFilter);
}

std::string OrderBy(const Message& request) {
  return StringOrEmpty(request, layout::kOrderBy);
}

std::vector<std::string> ReadMaskPaths(const Message& request) {
  return MaskPaths(request, layout::kReadMask);
}

void ClearReadMask(Message* request) {
  if (const FieldDescriptor* f = Slot(*request, layout::kReadMask)) {
    request->GetReflection()->ClearField(request, f);
  }
}

void SetPageSize(Message* request, int32_t size) {
  request->GetReflection()->SetInt32(request, Slot(*request, layout::kPageSize),
                                     size);
}

void SetPageToken(Message* request, const std::string& token) {
  request->GetReflection()->SetString(
      request, Slot(*request, layout::kPageToken), token);
}

void ClearPosition(Message* request) {
  request->GetReflection()->ClearField(request,
                                       Slot(*request, layout::kPageSize));
  request->GetReflection()->ClearField(request,
                                       Slot(*request, layout::kPageToken));
}

std::vector<FilterRequestField> SetFilterFields(const Message& request,
                                                const Descriptor* record) {
  std::vector<const FieldDescriptor*> set;
  request.GetReflection()->ListFields(request, &set);
  std::vector<FilterRequestField> fields;
  for (const FieldDescriptor* field : set) {
    FilterRequestField f;
    f.request_field = field;
    int record_number = 0;
    if (!DecodeFilterField(f.request_field->number(), &record_number,
                           &f.role)) {
      continue;  // page_size, page_token, filter, order_by, read_mask
    }
    f.record_field = record->FindFieldByNumber(record_number);
    if (f.record_field != nullptr) fields.push_back(f);
  }
  return fields;
}

bool WireHasField(absl::string_view wire, int number) {
  using google::protobuf::internal::WireFormatLite;
  google::protobuf::io::CodedInputStream in(
      reinterpret_cast<const uint8_t*>(wire.data()),
      static_cast<int>(wire.size()));
  while (uint32_t tag = in.ReadTag()) {
    if (WireFormatLite::GetTagFieldNumber(tag) == number) return true;
    if (!WireFormatLite::SkipField(&in, tag)) return true;  // cannot tell
  }
  return false;
}

std::vector<FilterRequestField> SetFilterFields(const WireFields& wire,
                                                const Descriptor* request,
                                                const Descriptor* record) {
  absl::InlinedVector<int, 8> numbers;
  for (const WireField& field : wire.fields()) {
    int record_number = 0;
    FilterRole role;
    if (DecodeFilterField(field.number, &record_number, &role)) {
      numbers.push_back(field.number);
    }
  }
  std::sort(numbers.begin(), numbers.end());  // each occurs once in `wire`
  std::vector<FilterRequestField> fields;
  for (int number : numbers) {
    FilterRequestField f;
    int record_number = 0;
    DecodeFilterField(number, &record_number, &f.role);
    f.request_field = request->FindFieldByNumber(number);
    f.record_field = record->FindFieldByNumber(record_number);
    if (f.request_field != nullptr && f.record_field != nullptr) {
      fields.push_back(f);
    }
  }
  return fields;
}

int64_t UpdateExpectedRevision(const Message& request) {
  const FieldDescriptor* f = Slot(request, layout::kExpectedRevision);
  return f == nullptr ? 0 : request.GetReflection()->GetInt64(request, f);
}

int64_t PatchExpectedRevision(const Message& request) {
  const FieldDescriptor* f = Slot(request, layout::kPatchExpectedRevision);
  return f == nullptr ? 0 : request.GetReflection()->GetInt64(request, f);
}

std::vector<std::string> UpdateMaskPaths(const Message& request) {
  return MaskPaths(request, layout::kUpdateMask);
}

int64_t StartRevision(const Message& request) {
  return request.GetReflection()->GetInt64(
      request, Slot(request, layout::kStartRevision));
}

const Message* WatchFilter(const Message& request) {
  const FieldDescriptor* f = Slot(request, layout::kWatchFilter);
  if (f == nullptr || !request.GetReflection()->HasField(request, f)) {
    return nullptr;
  }
  return &request.GetReflection()->GetMessage(request, f);
}

void SetChange(Message* change, int type, int64_t revision, bool commit_end) {
  const auto* r = change->GetReflection();
  r->SetEnumValue(change, Slot(*change, layout::kChangeType), type);
  r->SetInt64(change, Slot(*change, layout::kChangeRevision), revision);
  if (const FieldDescriptor* end = Slot(*change, layout::kCommitEnd)) {
    r->SetBool(change, end, commit_end);
  }
}

Message* MutableChangeRecord(Message* change) {
  return change->GetReflection()->MutableMessage(
      change, FieldAt(*change, layout::kChangeRecord));
}

const FieldDescriptor* PageRecords(const Descriptor* page) {
  return page->FindFieldByNumber(layout::kPageRecords);
}

std::string NextPageToken(const Message& page) {
  return page.GetReflection()->GetString(page,
                                         Slot(page, layout::kNextPageToken));
}

void SetNextPageToken(Message* page, const std::string& token) {
  page->GetReflection()->SetString(page, Slot(*page, layout::kNextPageToken),
                                   token);
}

void SetPlan(Message* page, const std::string& plan) {
  page->GetReflection()->SetString(page, Slot(*page, layout::kPlan), plan);
}

int64_t Count(const Message& response) {
  return response.GetReflection()->GetInt64(response,
                                            Slot(response, layout::kCount));
}

std::string CountPlan(const Message& response) {
  return StringOrEmpty(response, layout::kCountPlan);
}

void SetCount(Message* response, int64_t count, const std::string& plan) {
  response->GetReflection()->SetInt64(response, Slot(*response, layout::kCount),
                                      count);
  response->GetReflection()->SetString(
      response, Slot(*response, layout::kCountPlan), plan);
}

google::protobuf::RepeatedPtrField<Message>* ImportRecords(Message* request) {
  return request->GetReflection()->MutableRepeatedPtrField<Message>(
      request, Slot(*request, layout::kImportRecords));
}

bool ImportSkipBad(const Message& request) {
  return request.GetReflection()->GetBool(request,
                                          Slot(request, layout::kSkipBad));
}

bool ImportReplaceExisting(const Message& request) {
  return request.GetReflection()->GetBool(
      request, Slot(request, layout::kReplaceExisting));
}

void SetImportResult(
    Message* response, uint64_t imported, uint64_t revision,
    const std::vector<std::pair<uint64_t, std::string>>& skipped) {
  const auto* r = response->GetReflection();
  r->SetUInt64(response, Slot(*response, layout::kImported), imported);
  r->SetUInt64(response, Slot(*response, layout::kImportRevision), revision);
  if (const FieldDescriptor* count = Slot(*response, layout::kSkippedCount);
      count != nullptr) {  // services generated before it lack the field
    r->SetUInt64(response, count, skipped.size());
  }
  const FieldDescriptor* list = Slot(*response, layout::kSkipped);
  for (const auto& [position, error] : skipped) {
    if (static_cast<size_t>(r->FieldSize(*response, list)) >=
        layout::kMaxSkippedListed) {
      break;
    }
    Message* entry = r->AddMessage(response, list);
    const auto* er = entry->GetReflection();
    er->SetUInt64(entry, Slot(*entry, layout::kSkippedPosition), position);
    er->SetString(entry, Slot(*entry, layout::kSkippedError), error);
  }
}

std::string ExportFilter(const Message& request) {
  return StringOrEmpty(request, layout::kExportFilter);
}

std::string ExportParent(const Message& request) {
  const FieldDescriptor* f = FieldAt(request, layout::kExportParent);
  return f == nullptr ? "" : request.GetReflection()->GetString(request, f);
}

}  // namespace lmdbapi::model
