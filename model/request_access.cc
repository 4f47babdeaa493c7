#include "model/request_access.h"

namespace lmdbapi::model {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

const FieldDescriptor* Slot(const Message& message, FieldSlot slot) {
  return FieldAt(message, slot.number);
}

}  // namespace

const FieldDescriptor* FieldAt(const Message& message, int number) {
  return message.GetDescriptor()->FindFieldByNumber(number);
}

int32_t PageSize(const Message& request) {
  return request.GetReflection()->GetInt32(request,
                                           Slot(request, layout::kPageSize));
}

std::string PageToken(const Message& request) {
  return request.GetReflection()->GetString(request,
                                            Slot(request, layout::kPageToken));
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

std::vector<FilterRequestField> FilterRequestFields(const Descriptor* request,
                                                    const Descriptor* record) {
  std::vector<FilterRequestField> fields;
  for (int i = 0; i < request->field_count(); ++i) {
    FilterRequestField f;
    f.request_field = request->field(i);
    int record_number;
    if (!DecodeFilterField(f.request_field->number(), &record_number,
                           &f.role)) {
      continue;  // page_size, page_token
    }
    f.record_field = record->FindFieldByNumber(record_number);
    if (f.record_field != nullptr) fields.push_back(f);
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
  const FieldDescriptor* mask_field = Slot(request, layout::kUpdateMask);
  std::vector<std::string> paths;
  if (mask_field == nullptr ||
      !request.GetReflection()->HasField(request, mask_field)) {
    return paths;
  }
  const Message& mask =
      request.GetReflection()->GetMessage(request, mask_field);
  // google.protobuf.FieldMask { repeated string paths = 1; }
  const FieldDescriptor* repeated = FieldAt(mask, 1);
  for (int i = 0; i < mask.GetReflection()->FieldSize(mask, repeated); ++i) {
    paths.push_back(mask.GetReflection()->GetRepeatedString(mask, repeated, i));
  }
  return paths;
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

}  // namespace lmdbapi::model
