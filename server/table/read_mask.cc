#include "server/table/read_mask.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/field_mask_util.h"
#include "model/request_layout.h"

namespace lmdbapi::server {

using google::protobuf::FieldMask;
using google::protobuf::util::FieldMaskUtil;

absl::StatusOr<FieldMask> ReadMask(const google::protobuf::Descriptor* record,
                                   const std::vector<std::string>& paths) {
  FieldMask mask;
  for (const std::string& path : paths) {
    if (path.empty() ||
        !FieldMaskUtil::GetFieldDescriptors(record, path, nullptr)) {
      return absl::InvalidArgumentError(absl::StrCat(
          model::layout::kReadMask.name, ": '", path, "' is not a field of ",
          record->name(), " (use field names, dotted for nested messages)"));
    }
    mask.add_paths(path);
  }
  return mask;
}

void ApplyReadMask(const FieldMask& mask, google::protobuf::Message* record) {
  if (mask.paths_size() == 0) return;
  FieldMaskUtil::TrimMessage(mask, record);
}

}  // namespace lmdbapi::server
