#include "server/table/write_conditions.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "model/request_access.h"

namespace lmdbapi::server {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

// protoc-gen-go's CamelCase: "county_status" -> "CountyStatus".
std::string GoCamelCase(const std::string& name) {
  std::string out;
  bool upper = true;
  for (char c : name) {
    if (c == '_') {
      upper = true;
      continue;
    }
    out.push_back(upper ? absl::ascii_toupper(c) : c);
    upper = false;
  }
  return out;
}

const FieldDescriptor* FindField(const Descriptor* type,
                                 const std::string& segment) {
  if (const FieldDescriptor* f = type->FindFieldByName(segment)) return f;
  for (int i = 0; i < type->field_count(); ++i) {
    const FieldDescriptor* f = type->field(i);
    if (GoCamelCase(f->name()) == segment || f->json_name() == segment) {
      return f;
    }
  }
  return nullptr;
}

bool IsServerField(const FieldDescriptor* f, const storage::TableSchema& t) {
  return f == t.primary_key.field || f == t.revision.field ||
         f == t.create_time.field || f == t.update_time.field;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> PatchPaths(
    const Message& request, const Message& record,
    const storage::TableSchema& table) {
  const Descriptor* type = record.GetDescriptor();
  std::vector<std::string> asked = model::UpdateMaskPaths(request);
  std::vector<std::string> out;
  if (asked.empty()) {  // every field the record sets
    std::vector<const FieldDescriptor*> set;
    record.GetReflection()->ListFields(record, &set);
    for (const FieldDescriptor* f : set) {
      if (!IsServerField(f, table)) out.push_back(f->name());
    }
  }
  for (const std::string& path : asked) {
    const Descriptor* at = type;
    std::vector<std::string> names;
    const FieldDescriptor* first = nullptr;
    for (absl::string_view segment : absl::StrSplit(path, '.')) {
      const FieldDescriptor* f =
          at == nullptr ? nullptr : FindField(at, std::string(segment));
      if (f == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat(
            "update_mask: '", path, "' is not a field of ", type->name()));
      }
      if (first == nullptr) first = f;
      names.push_back(f->name());
      at = f->message_type();
    }
    if (first == nullptr || IsServerField(first, table)) continue;
    out.push_back(absl::StrJoin(names, "."));
  }
  if (out.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "update_mask: names no field of ", type->name(),
        " to change (the key and server-maintained fields cannot be)"));
  }
  return out;
}

absl::StatusOr<uint64_t> RevisionField(int64_t value, absl::string_view field) {
  if (value >= 0) return static_cast<uint64_t>(value);
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": ", value, " is not a revision (0 means any)"));
}

absl::StatusOr<uint64_t> ExpectedRevision(
    const grpc::ServerContextBase& context, int64_t expected_revision) {
  absl::StatusOr<uint64_t> given =
      RevisionField(expected_revision, "expected_revision");
  if (!given.ok() || *given > 0) return given;
  auto header = context.client_metadata().find("if-match");
  if (header == context.client_metadata().end()) return 0;
  absl::string_view value(header->second.data(), header->second.size());
  value = absl::StripAsciiWhitespace(value);
  if (value == "*") return 0;
  absl::string_view digits = value;
  uint64_t revision = 0;
  if (!absl::ConsumePrefix(&digits, "\"") ||
      !absl::ConsumeSuffix(&digits, "\"") ||
      !absl::SimpleAtoi(digits, &revision) || revision == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("If-Match: '", value,
                     "' is not an ETag of this server (the record's revision "
                     "in quotes, e.g. \"7\", or *)"));
  }
  return revision;
}

std::string Etag(uint64_t revision) {
  return absl::StrCat("\"", revision, "\"");
}

}  // namespace lmdbapi::server
