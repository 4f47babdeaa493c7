#include "server/router/page_wire.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"
#include "model/request_layout.h"
#include "server/table/read_mask.h"
#include "storage/coding.h"

namespace lmdbapi::server {

absl::StatusOr<ShardPage> ParseShardPage(absl::string_view bytes) {
  using google::protobuf::internal::WireFormatLite;
  google::protobuf::io::CodedInputStream in(
      reinterpret_cast<const uint8_t*>(bytes.data()),
      static_cast<int>(bytes.size()));
  ShardPage page;
  while (uint32_t tag = in.ReadTag()) {
    const int number = WireFormatLite::GetTagFieldNumber(tag);
    const bool delimited = WireFormatLite::GetTagWireType(tag) ==
                           WireFormatLite::WIRETYPE_LENGTH_DELIMITED;
    bool read = true;
    if (delimited && number == model::layout::kPageRecords) {
      read = WireFormatLite::ReadBytes(&in, &page.records.emplace_back());
    } else if (delimited && number == model::layout::kNextPageToken.number) {
      read = WireFormatLite::ReadBytes(&in, &page.next_token);
    } else {
      read = WireFormatLite::SkipField(&in, tag);
    }
    if (!read) return absl::InternalError("a shard's page did not parse");
  }
  if (!in.ConsumedEntireMessage()) {
    return absl::InternalError("a shard's page did not parse");
  }
  return page;
}

absl::StatusOr<std::string> SerializePage(
    const RecordOrder& order, const google::protobuf::FieldMask& mask,
    const MergedPage& merged, absl::string_view plan) {
  std::string out;
  std::unique_ptr<google::protobuf::Message> record;
  for (const std::string& bytes : merged.records) {
    if (mask.paths().empty()) {
      storage::PutWireBytes(model::layout::kPageRecords, bytes, &out);
      continue;
    }
    if (record == nullptr) record = order.NewRecord();
    if (!record->ParseFromString(bytes)) {
      return absl::InternalError(absl::StrCat(
          "a shard's ", record->GetDescriptor()->name(), " did not parse"));
    }
    ApplyReadMask(mask, record.get());
    storage::PutWireBytes(model::layout::kPageRecords,
                          record->SerializeAsString(), &out);
  }
  if (!merged.next_token.empty()) {
    storage::PutWireBytes(model::layout::kNextPageToken.number,
                          merged.next_token, &out);
  }
  if (!plan.empty()) {
    storage::PutWireBytes(model::layout::kPlan.number, plan, &out);
  }
  return out;
}

}  // namespace lmdbapi::server
