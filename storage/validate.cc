#include "storage/validate.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

namespace lmdbapi::storage {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

constexpr int64_t kMinSeconds = -62135596800;  // 0001-01-01T00:00:00Z
constexpr int64_t kMaxSeconds = 253402300799;  // 9999-12-31T23:59:59Z

absl::Status Bad(const std::string& path, const std::string& why) {
  return absl::InvalidArgumentError(absl::StrCat("field '", path, "': ", why));
}

absl::Status Check(const Message& m, const std::string& prefix) {
  const auto* reflection = m.GetReflection();
  if (m.GetDescriptor()->full_name() == "google.protobuf.Timestamp") {
    const auto* d = m.GetDescriptor();
    // seconds = 1, nanos = 2: by number, found without a lookup by name.
    int64_t seconds = reflection->GetInt64(m, d->FindFieldByNumber(1));
    int32_t nanos = reflection->GetInt32(m, d->FindFieldByNumber(2));
    if (!ValidTimestamp(seconds, nanos)) {
      return Bad(prefix,
                 absl::StrCat("not a valid timestamp (seconds ", seconds,
                              ", nanos ", nanos, "): years 0001..9999 only"));
    }
    return absl::OkStatus();
  }
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(m, &fields);
  for (const FieldDescriptor* f : fields) {
    std::string path = prefix.empty() ? f->name() : prefix + "." + f->name();
    int count = f->is_repeated() ? reflection->FieldSize(m, f) : 1;
    for (int i = 0; i < count; ++i) {
      if (f->cpp_type() == FieldDescriptor::CPPTYPE_ENUM) {
        int value = f->is_repeated() ? reflection->GetRepeatedEnumValue(m, f, i)
                                     : reflection->GetEnumValue(m, f);
        if (f->enum_type()->FindValueByNumber(value) == nullptr) {
          return Bad(path, absl::StrCat(value, " is not a value of ",
                                        f->enum_type()->full_name()));
        }
      } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
        const Message& child = f->is_repeated()
                                   ? reflection->GetRepeatedMessage(m, f, i)
                                   : reflection->GetMessage(m, f);
        LMDBAPI_RETURN_IF_ERROR(Check(child, path));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

bool ValidTimestamp(int64_t seconds, int32_t nanos) {
  return seconds >= kMinSeconds && seconds <= kMaxSeconds && nanos >= 0 &&
         nanos <= 999999999;
}

absl::Status ValidateRecord(const Message& record) { return Check(record, ""); }

}  // namespace lmdbapi::storage
