// Random field values by reflection, with edge values often.
#include "tests/json/parser_random_fill.h"

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <limits>
#include <string>

#include "google/protobuf/descriptor.h"

namespace lmdbapi::json::testing {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

constexpr int64_t kMinTimestamp = -62135596800;  // 0001-01-01T00:00:00Z
constexpr int64_t kMaxTimestamp = 253402300799;  // 9999-12-31T23:59:59Z
constexpr int64_t kMaxDuration = 315576000000;

class Filler {
 public:
  explicit Filler(std::mt19937* rng) : rng_(*rng) {}

  void Fill(int depth, Message* message);

 private:
  bool Chance(int percent) { return Uniform(0, 99) < percent; }
  int64_t Uniform(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng_);
  }
  uint64_t Bits() { return std::uniform_int_distribution<uint64_t>()(rng_); }
  template <typename T>
  T Pick(std::initializer_list<T> values) {
    return values.begin()[Uniform(0, static_cast<int64_t>(values.size()) - 1)];
  }

  int64_t Int64();
  uint64_t UInt64();
  double Double();
  float Float();
  std::string String();
  std::string Bytes();
  int Enum(const FieldDescriptor* field);
  void Field(const FieldDescriptor* field, int depth, Message* message);
  void Add(const FieldDescriptor* field, int depth, Message* message);
  void Set(const FieldDescriptor* field, int depth, Message* message);
  bool WellKnown(Message* message);

  std::mt19937& rng_;
};

int64_t Filler::Int64() {
  switch (Uniform(0, 5)) {
    case 0:
      return Pick<int64_t>({0, -1, 1, INT64_MIN, INT64_MAX, INT32_MIN,
                            INT32_MAX, int64_t{1} << 53,
                            -(int64_t{1} << 53) - 1});
    case 1:
      return static_cast<int64_t>(Bits());
    default:
      return Uniform(-1000, 1000);
  }
}

uint64_t Filler::UInt64() {
  switch (Uniform(0, 5)) {
    case 0:
      return Pick<uint64_t>({0, 1, UINT64_MAX, UINT32_MAX, uint64_t{1} << 63});
    case 1:
      return Bits();
    default:
      return static_cast<uint64_t>(Uniform(0, 1000));
  }
}

double Filler::Double() {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  switch (Uniform(0, 4)) {
    case 0:
      return Pick<double>({0.0, -0.0, 1.0, -1.0, 0.1, 1e300, -1e300, 1e-300,
                           DBL_MAX, -DBL_MAX, DBL_MIN, 4.9e-324, kInf, -kInf,
                           std::nan(""), 9007199254740993.0, 1e21, 1e-7});
    case 1: {
      double d;
      uint64_t bits = Bits();
      std::memcpy(&d, &bits, sizeof d);
      return d;  // NaNs of any payload too
    }
    case 2:
      return static_cast<double>(Uniform(-100000, 100000));
    default:
      return std::uniform_real_distribution<double>(-1e6, 1e6)(rng_);
  }
}

float Filler::Float() {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  switch (Uniform(0, 3)) {
    case 0:
      return Pick<float>({0.0f, -0.0f, 1.0f, 0.1f, FLT_MAX, -FLT_MAX, FLT_MIN,
                          1.4e-45f, kInf, -kInf, std::nanf(""), 16777217.0f,
                          3e38f, 1e-30f});
    case 1: {
      float f;
      uint32_t bits = static_cast<uint32_t>(Bits());
      std::memcpy(&f, &bits, sizeof f);
      return f;
    }
    default:
      return std::uniform_real_distribution<float>(-1e4f, 1e4f)(rng_);
  }
}

std::string Filler::String() {
  static const std::string kPieces[] = {"a",
                                        "Z",
                                        "0",
                                        " ",
                                        "\"",
                                        "\\",
                                        "/",
                                        "\n",
                                        "\t",
                                        "\r",
                                        "\b",
                                        "\f",
                                        std::string("\0", 1),
                                        "\x01",
                                        "\x1f",
                                        "\x7f",
                                        "<",
                                        ">",
                                        "&",
                                        "'",
                                        "=",
                                        "\xc3\xa9",          // é
                                        "\xe4\xb8\xad",      // 中
                                        "\xf0\x9f\x98\x80",  // U+1F600
                                        "\xe2\x80\xa8",      // U+2028
                                        "\xef\xbf\xbf",      // U+FFFF
                                        "\xf4\x8f\xbf\xbf",  // U+10FFFF
                                        "\xed\x9f\xbf",      // U+D7FF
                                        "\xee\x80\x80",      // U+E000
                                        "hello",
                                        "uuid-1234-5678"};
  std::string s;
  int n = static_cast<int>(Uniform(0, 8));
  for (int i = 0; i < n; ++i) {
    s += kPieces[Uniform(0, std::size(kPieces) - 1)];
  }
  return s;
}

std::string Filler::Bytes() {
  std::string s(static_cast<size_t>(Uniform(0, 12)), '\0');
  for (char& c : s) c = static_cast<char>(Bits());
  return s;
}

int Filler::Enum(const FieldDescriptor* field) {
  const auto* type = field->enum_type();
  if (Chance(10)) return Pick<int>({42, -5, 1000000, INT32_MIN, INT32_MAX});
  return type->value(static_cast<int>(Uniform(0, type->value_count() - 1)))
      ->number();
}

// Timestamps, Durations and wrappers in the ranges their JSON forms have.
bool Filler::WellKnown(Message* message) {
  const Descriptor* type = message->GetDescriptor();
  const Reflection* r = message->GetReflection();
  const std::string& name = type->full_name();
  if (name != "google.protobuf.Timestamp" &&
      name != "google.protobuf.Duration") {
    return false;
  }
  bool timestamp = name == "google.protobuf.Timestamp";
  int64_t seconds = timestamp
                        ? Pick<int64_t>({kMinTimestamp, kMaxTimestamp, 0, -1,
                                         Uniform(kMinTimestamp, kMaxTimestamp)})
                        : Pick<int64_t>({-kMaxDuration, kMaxDuration, 0,
                                         Uniform(-kMaxDuration, kMaxDuration)});
  int32_t nanos = static_cast<int32_t>(
      Pick<int64_t>({0, 999999999, Uniform(0, 999) * 1000000,
                     Uniform(0, 999999) * 1000, Uniform(0, 999999999)}));
  if (!timestamp && (seconds < 0 || (seconds == 0 && Chance(50)))) {
    nanos = -nanos;
  }
  r->SetInt64(message, type->FindFieldByNumber(1), seconds);
  r->SetInt32(message, type->FindFieldByNumber(2), nanos);
  return true;
}

void Filler::Fill(int depth, Message* message) {
  if (WellKnown(message)) return;
  const Descriptor* type = message->GetDescriptor();
  for (int i = 0; i < type->field_count(); ++i) {
    const FieldDescriptor* field = type->field(i);
    if (field->message_type() != nullptr && depth <= 0 && !field->is_map()) {
      continue;
    }
    if (Chance(55)) Field(field, depth, message);
  }
}

void Filler::Field(const FieldDescriptor* field, int depth, Message* message) {
  if (!field->is_repeated()) {
    Set(field, depth, message);
    return;
  }
  int n = static_cast<int>(Uniform(0, 4));
  for (int i = 0; i < n; ++i) Add(field, depth, message);
}

void Filler::Set(const FieldDescriptor* field, int depth, Message* message) {
  const Reflection* r = message->GetReflection();
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      return r->SetInt32(message, field, static_cast<int32_t>(Int64()));
    case FieldDescriptor::CPPTYPE_INT64:
      return r->SetInt64(message, field, Int64());
    case FieldDescriptor::CPPTYPE_UINT32:
      return r->SetUInt32(message, field, static_cast<uint32_t>(UInt64()));
    case FieldDescriptor::CPPTYPE_UINT64:
      return r->SetUInt64(message, field, UInt64());
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return r->SetDouble(message, field, Double());
    case FieldDescriptor::CPPTYPE_FLOAT:
      return r->SetFloat(message, field, Float());
    case FieldDescriptor::CPPTYPE_BOOL:
      return r->SetBool(message, field, Chance(50));
    case FieldDescriptor::CPPTYPE_ENUM:
      return r->SetEnumValue(message, field, Enum(field));
    case FieldDescriptor::CPPTYPE_STRING:
      return r->SetString(
          message, field,
          field->type() == FieldDescriptor::TYPE_BYTES ? Bytes() : String());
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return Fill(depth - 1, r->MutableMessage(message, field));
  }
}

void Filler::Add(const FieldDescriptor* field, int depth, Message* message) {
  const Reflection* r = message->GetReflection();
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      return r->AddInt32(message, field, static_cast<int32_t>(Int64()));
    case FieldDescriptor::CPPTYPE_INT64:
      return r->AddInt64(message, field, Int64());
    case FieldDescriptor::CPPTYPE_UINT32:
      return r->AddUInt32(message, field, static_cast<uint32_t>(UInt64()));
    case FieldDescriptor::CPPTYPE_UINT64:
      return r->AddUInt64(message, field, UInt64());
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return r->AddDouble(message, field, Double());
    case FieldDescriptor::CPPTYPE_FLOAT:
      return r->AddFloat(message, field, Float());
    case FieldDescriptor::CPPTYPE_BOOL:
      return r->AddBool(message, field, Chance(50));
    case FieldDescriptor::CPPTYPE_ENUM:
      return r->AddEnumValue(message, field, Enum(field));
    case FieldDescriptor::CPPTYPE_STRING:
      return r->AddString(
          message, field,
          field->type() == FieldDescriptor::TYPE_BYTES ? Bytes() : String());
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      Message* element = r->AddMessage(message, field);
      // A map entry's value is a message only when the map says so.
      return Fill(field->is_map() ? depth : depth - 1, element);
    }
  }
}

}  // namespace

void FillRandom(std::mt19937* rng, int depth, Message* message) {
  Filler(rng).Fill(depth, message);
  std::string wire = message->SerializeAsString();
  message->ParseFromString(wire);  // one entry per map key, the last
}

}  // namespace lmdbapi::json::testing
