#include "cli/record_codec.h"

#include <map>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "cli/wire_fields.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/type.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/type_resolver.h"
#include "google/protobuf/util/type_resolver_util.h"
#include "proto/lmdbapi/options.pb.h"

namespace lmdbapi::cli {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::DescriptorPool;
using google::protobuf::util::TypeResolver;

constexpr char kTypeUrlPrefix[] = "type.googleapis.com";

// The type information of a descriptor pool's messages as protobuf's JSON
// conversion wants it, built once per type: protobuf's conversions build it
// again on every call, which costs more than the conversion.
class CachingTypeResolver : public TypeResolver {
 public:
  explicit CachingTypeResolver(const DescriptorPool* pool)
      : inner_(google::protobuf::util::NewTypeResolverForDescriptorPool(
            kTypeUrlPrefix, pool)) {}

  google::protobuf::util::Status ResolveMessageType(
      const std::string& url, google::protobuf::Type* type) override {
    return Resolve(url, type, types_, [this](const std::string& u, auto* t) {
      return inner_->ResolveMessageType(u, t);
    });
  }
  google::protobuf::util::Status ResolveEnumType(
      const std::string& url, google::protobuf::Enum* type) override {
    return Resolve(url, type, enums_, [this](const std::string& u, auto* t) {
      return inner_->ResolveEnumType(u, t);
    });
  }

 private:
  template <typename T, typename F>
  google::protobuf::util::Status Resolve(const std::string& url, T* out,
                                         std::map<std::string, T>& cache,
                                         F resolve) {
    absl::MutexLock lock(&mu_);
    auto it = cache.find(url);
    if (it == cache.end()) {
      T resolved;
      google::protobuf::util::Status status = resolve(url, &resolved);
      if (!status.ok()) return status;
      it = cache.emplace(url, std::move(resolved)).first;
    }
    *out = it->second;
    return google::protobuf::util::Status();
  }

  std::unique_ptr<TypeResolver> inner_;
  absl::Mutex mu_;
  std::map<std::string, google::protobuf::Type> types_;
  std::map<std::string, google::protobuf::Enum> enums_;
};

// The resolver of `pool`, made on first use and kept.
TypeResolver* ResolverFor(const DescriptorPool* pool) {
  static absl::Mutex mu;
  static auto* resolvers =
      new std::map<const DescriptorPool*, std::unique_ptr<CachingTypeResolver>>;
  absl::MutexLock lock(&mu);
  std::unique_ptr<CachingTypeResolver>& resolver = (*resolvers)[pool];
  if (resolver == nullptr) {
    resolver = std::make_unique<CachingTypeResolver>(pool);
  }
  return resolver.get();
}

std::string TypeUrl(const Descriptor* type) {
  return absl::StrCat(kTypeUrlPrefix, "/", type->full_name());
}

// The record's fields the server maintains (revision, create_time,
// update_time): an export leaves them out, as a data directory's records
// do, and an import sets them anew.
absl::flat_hash_set<int> ServerFields(const Descriptor* type) {
  absl::flat_hash_set<int> numbers;
  for (int i = 0; i < type->field_count(); ++i) {
    const lmdbapi::Field& role =
        type->field(i)->options().GetExtension(lmdbapi::field);
    if (role.revision() || role.create_time() || role.update_time()) {
      numbers.insert(type->field(i)->number());
    }
  }
  return numbers;
}

// "(fee_cents): invalid value ..." -> "field fee_cents: invalid value ...".
absl::Status FieldError(absl::string_view why) {
  size_t close = why.find("): ");
  if (absl::StartsWith(why, "(") && close != absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "field ", why.substr(1, close - 1), ": ", why.substr(close + 3)));
  }
  return absl::InvalidArgumentError(why);
}

}  // namespace

const RecordCodec& RecordCodec::For(const Descriptor* type) {
  static absl::Mutex mu;
  static auto* codecs =
      new std::map<const Descriptor*, std::unique_ptr<RecordCodec>>;
  absl::MutexLock lock(&mu);
  std::unique_ptr<RecordCodec>& codec = (*codecs)[type];
  if (codec == nullptr) codec = std::make_unique<RecordCodec>(type);
  return *codec;
}

RecordCodec::RecordCodec(const Descriptor* type)
    : type_(type),
      factory_(std::make_unique<google::protobuf::DynamicMessageFactory>()),
      prototype_(factory_->GetPrototype(type)),
      server_fields_(ServerFields(type)),
      check_(type) {
  auto printer = json::JsonPrinter::Create(type);
  if (printer.ok()) printer_ = *std::move(printer);
  auto parser = json::JsonParser::Create(type);
  if (parser.ok()) parser_ = *std::move(parser);
}

RecordCodec::~RecordCodec() = default;

std::unique_ptr<google::protobuf::Message> RecordCodec::New() const {
  return std::unique_ptr<google::protobuf::Message>(prototype_->New());
}

bool RecordCodec::Parses(absl::string_view wire,
                         google::protobuf::Message* scratch) const {
  if (check_.CertainlyParses(wire)) return true;
  return scratch->ParseFromArray(wire.data(), static_cast<int>(wire.size()));
}

absl::Status RecordCodec::PrintJson(absl::string_view wire,
                                    bool without_server_fields,
                                    std::string* out) const {
  if (printer_ != nullptr) {
    size_t before = out->size();
    static const absl::flat_hash_set<int>* const kNone =
        new absl::flat_hash_set<int>();
    absl::Status printed = printer_->Print(
        wire, out, without_server_fields ? server_fields_ : *kNone);
    if (printed.ok() || absl::IsDataLoss(printed)) return printed;
    out->resize(before);  // a case the printer leaves to protobuf
  }
  return SlowPrint(wire, without_server_fields, out);
}

absl::Status RecordCodec::SlowPrint(absl::string_view wire,
                                    bool without_server_fields,
                                    std::string* out) const {
  std::unique_ptr<google::protobuf::Message> record = New();
  if (!record->ParseFromArray(wire.data(), static_cast<int>(wire.size()))) {
    return absl::DataLossError(
        absl::StrCat("not a serialized ", type_->full_name()));
  }
  if (without_server_fields) {
    for (int number : server_fields_) {
      record->GetReflection()->ClearField(record.get(),
                                          type_->FindFieldByNumber(number));
    }
  }
  std::string json;
  auto printed = google::protobuf::util::BinaryToJsonString(
      ResolverFor(type_->file()->pool()), TypeUrl(type_),
      record->SerializeAsString(), &json,
      google::protobuf::util::JsonPrintOptions());
  if (!printed.ok()) return absl::InternalError(printed.ToString());
  out->append(json);
  return absl::OkStatus();
}

absl::Status RecordCodec::ParseJson(absl::string_view json,
                                    std::string* wire) const {
  wire->clear();
  if (parser_ != nullptr && parser_->Parse(json, wire).ok()) {
    return absl::OkStatus();
  }
  wire->clear();
  return SlowParse(json, wire);
}

absl::Status RecordCodec::SlowParse(absl::string_view json,
                                    std::string* wire) const {
  auto parsed = google::protobuf::util::JsonToBinaryString(
      ResolverFor(type_->file()->pool()), TypeUrl(type_),
      google::protobuf::StringPiece(json.data(), json.size()), wire,
      google::protobuf::util::JsonParseOptions());
  if (!parsed.ok()) {
    return FieldError(
        absl::string_view(parsed.message().data(), parsed.message().size()));
  }
  // Protobuf's converter is trusted to write what its own parser reads back,
  // but the server would refuse anything else: check (the rare path only).
  if (!Parses(*wire, New().get())) {
    return absl::InvalidArgumentError("the JSON does not make a record");
  }
  return absl::OkStatus();
}

}  // namespace lmdbapi::cli
