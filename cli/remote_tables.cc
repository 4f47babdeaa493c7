#include "cli/remote_tables.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "proto/lmdbapi/options.pb.h"

namespace lmdbapi::cli {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::ServiceDescriptor;

bool IsTableService(const ServiceDescriptor* service) {
  for (const char* method : {"Get", "Insert", "Filter"}) {
    if (service->FindMethodByName(method) == nullptr) return false;
  }
  return true;
}

const FieldDescriptor* KeyField(const Descriptor* record, bool parent) {
  for (int i = 0; i < record->field_count(); ++i) {
    const FieldDescriptor* f = record->field(i);
    const lmdbapi::Field& role = f->options().GetExtension(lmdbapi::field);
    if (parent ? role.parent_key() : role.primary_key()) return f;
  }
  return nullptr;
}

absl::StatusOr<TableInfo> Describe(const ServiceDescriptor* service) {
  const Descriptor* record = service->FindMethodByName("Get")->output_type();
  const lmdbapi::Table& table = record->options().GetExtension(lmdbapi::table);
  const FieldDescriptor* key = KeyField(record, false);
  if (table.collection().empty() || key == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        service->full_name(), ": its record ", record->full_name(),
        " has no (lmdbapi.table).collection or primary_key field"));
  }
  TableInfo info{
      table.collection(), service->full_name(), record, key->name(), "", ""};
  if (const FieldDescriptor* parent_key = KeyField(record, true)) {
    info.parent_key = parent_key->name();
  }
  if (!table.parent().empty()) {
    const Descriptor* parent =
        record->file()->FindMessageTypeByName(table.parent());
    if (parent == nullptr) {
      parent = record->file()->pool()->FindMessageTypeByName(table.parent());
    }
    if (parent != nullptr) {
      info.parent = parent->options().GetExtension(lmdbapi::table).collection();
    }
  }
  return info;
}

// Parents before children, else in the given order.
std::vector<TableInfo> ParentsFirst(std::vector<TableInfo> tables) {
  std::vector<TableInfo> ordered;
  std::map<std::string, bool> placed;
  while (ordered.size() < tables.size()) {
    size_t before = ordered.size();
    for (const TableInfo& t : tables) {
      if (placed[t.name]) continue;
      bool ready =
          t.parent.empty() || placed[t.parent] ||
          std::none_of(tables.begin(), tables.end(),
                       [&](const TableInfo& p) { return p.name == t.parent; });
      if (ready) {
        ordered.push_back(t);
        placed[t.name] = true;
      }
    }
    if (ordered.size() == before) break;  // a cycle: cannot be declared
  }
  return ordered;
}

}  // namespace

absl::StatusOr<std::vector<TableInfo>> FindRemoteTables(
    ReflectionClient& reflection, const std::vector<std::string>& services) {
  std::vector<TableInfo> tables;
  for (const std::string& name : services) {
    if (name.rfind("grpc.", 0) == 0 || name.rfind("lmdbapi.admin.", 0) == 0) {
      continue;
    }
    absl::Status loaded = reflection.LoadSymbol(name);
    if (!loaded.ok()) return loaded;
    const ServiceDescriptor* service =
        reflection.pool()->FindServiceByName(name);
    if (service == nullptr || !IsTableService(service)) continue;
    auto info = Describe(service);
    if (!info.ok()) return info.status();
    tables.push_back(*std::move(info));
  }
  return ParentsFirst(std::move(tables));
}

absl::StatusOr<const google::protobuf::MethodDescriptor*> TableMethod(
    const google::protobuf::DescriptorPool& pool, const TableInfo& table,
    const std::string& name) {
  const ServiceDescriptor* service = pool.FindServiceByName(table.service);
  const auto* method =
      service == nullptr ? nullptr : service->FindMethodByName(name);
  if (method == nullptr) {
    return absl::UnimplementedError(
        absl::StrCat(table.service, " has no ", name,
                     " method: the server is older than this lmdbapi"));
  }
  return method;
}

const FieldDescriptor* FieldOfType(const Descriptor* message,
                                   const Descriptor* type, bool repeated) {
  for (int i = 0; i < message->field_count(); ++i) {
    const FieldDescriptor* f = message->field(i);
    if (f->message_type() != nullptr &&
        f->message_type()->full_name() == type->full_name() &&
        f->is_repeated() == repeated) {
      return f;
    }
  }
  return nullptr;
}

bool SetString(Message* message, const std::string& name,
               const std::string& value) {
  const FieldDescriptor* f = message->GetDescriptor()->FindFieldByName(name);
  if (f == nullptr || f->is_repeated() ||
      f->cpp_type() != FieldDescriptor::CPPTYPE_STRING) {
    return false;
  }
  message->GetReflection()->SetString(message, f, value);
  return true;
}

bool SetBool(Message* message, const std::string& name, bool value) {
  const FieldDescriptor* f = message->GetDescriptor()->FindFieldByName(name);
  if (f == nullptr || f->is_repeated() ||
      f->cpp_type() != FieldDescriptor::CPPTYPE_BOOL) {
    return false;
  }
  message->GetReflection()->SetBool(message, f, value);
  return true;
}

bool SetInteger(Message* message, const std::string& name, int64_t number) {
  const FieldDescriptor* f = message->GetDescriptor()->FindFieldByName(name);
  if (f == nullptr || f->is_repeated()) return false;
  const auto* r = message->GetReflection();
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      r->SetInt32(message, f, static_cast<int32_t>(number));
      return true;
    case FieldDescriptor::CPPTYPE_INT64:
      r->SetInt64(message, f, number);
      return true;
    case FieldDescriptor::CPPTYPE_UINT32:
      r->SetUInt32(message, f, static_cast<uint32_t>(number));
      return true;
    case FieldDescriptor::CPPTYPE_UINT64:
      r->SetUInt64(message, f, static_cast<uint64_t>(number));
      return true;
    default:
      return false;
  }
}

uint64_t GetInteger(const Message& message, const std::string& name) {
  const FieldDescriptor* f = message.GetDescriptor()->FindFieldByName(name);
  if (f == nullptr || f->is_repeated()) return 0;
  const auto* r = message.GetReflection();
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      return static_cast<uint64_t>(r->GetInt32(message, f));
    case FieldDescriptor::CPPTYPE_INT64:
      return static_cast<uint64_t>(r->GetInt64(message, f));
    case FieldDescriptor::CPPTYPE_UINT32:
      return r->GetUInt32(message, f);
    case FieldDescriptor::CPPTYPE_UINT64:
      return r->GetUInt64(message, f);
    default:
      return 0;
  }
}

std::string GetString(const Message& message, const std::string& name) {
  const FieldDescriptor* f = message.GetDescriptor()->FindFieldByName(name);
  if (f == nullptr || f->is_repeated() ||
      f->cpp_type() != FieldDescriptor::CPPTYPE_STRING) {
    return "";
  }
  return message.GetReflection()->GetString(message, f);
}

void Assign(const Message& from, Message* to) {
  if (from.GetDescriptor() == to->GetDescriptor()) {
    to->CopyFrom(from);
  } else {
    to->ParseFromString(from.SerializeAsString());
  }
}

}  // namespace lmdbapi::cli
