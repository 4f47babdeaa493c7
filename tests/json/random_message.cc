// Random field values by kind and their placement by reflection.
#include "tests/json/random_message.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace lmdbapi::json_test {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// Code points worth a test: the ones protobuf escapes and their neighbours.
constexpr uint32_t kSpecialCodePoints[] = {
    0x0,     0x1,     0x8,     0x9,     0xa,     0xb,     0xc,     0xd,
    0x1f,    '"',     '\\',    '<',     '>',     '&',     '\'',    '/',
    0x7f,    0x80,    0x9f,    0xa0,    0xad,    0xe9,    0x5ff,   0x600,
    0x603,   0x604,   0x6dd,   0x70f,   0x17b4,  0x17b5,  0x17b6,  0x200a,
    0x200b,  0x200f,  0x2010,  0x2027,  0x2028,  0x202e,  0x202f,  0x2060,
    0x2064,  0x2065,  0x206a,  0x206f,  0x2070,  0xd7ff,  0xe000,  0xfeff,
    0xfff8,  0xfff9,  0xfffb,  0xfffc,  0xfffd,  0xffff,  0x10000, 0x1d172,
    0x1d173, 0x1d17a, 0x1d17b, 0x1f600, 0xe0000, 0xe0001, 0xe0002, 0xe001f,
    0xe0020, 0xe007f, 0xe0080, 0x10ffff};

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out->push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

template <typename T, size_t N>
T Pick(std::mt19937& rng, const T (&values)[N]) {
  return values[rng() % N];
}

template <typename To, typename From>
To BitCast(From from) {
  To to;
  std::memcpy(&to, &from, sizeof(to));
  return to;
}

}  // namespace

uint64_t RandomMessages::Bits(int max_bits) {
  const int bits = static_cast<int>(rng_() % (max_bits + 1));
  const uint64_t value = (uint64_t{rng_()} << 32) | rng_();
  return bits == 64 ? value : value & ((uint64_t{1} << bits) - 1);
}

int32_t RandomMessages::Int32() {
  static const int32_t kEdges[] = {0,
                                   1,
                                   -1,
                                   127,
                                   128,
                                   -128,
                                   300,
                                   std::numeric_limits<int32_t>::min(),
                                   std::numeric_limits<int32_t>::max()};
  if (Chance(30)) return Pick(rng_, kEdges);
  const auto value = static_cast<int32_t>(Bits(32));
  return Chance(20) ? -value : value;
}

int64_t RandomMessages::Int64() {
  static const int64_t kEdges[] = {0,
                                   1,
                                   -1,
                                   int64_t{1} << 53,
                                   (int64_t{1} << 53) + 1,
                                   -(int64_t{1} << 31),
                                   int64_t{1} << 32,
                                   std::numeric_limits<int64_t>::min(),
                                   std::numeric_limits<int64_t>::max()};
  if (Chance(30)) return Pick(rng_, kEdges);
  const auto value = static_cast<int64_t>(Bits(64));
  return Chance(20) ? -value : value;
}

double RandomMessages::Double() {
  using limits = std::numeric_limits<double>;
  static const double kEdges[] = {0.0,
                                  -0.0,
                                  limits::quiet_NaN(),
                                  limits::infinity(),
                                  -limits::infinity(),
                                  limits::denorm_min(),
                                  -limits::denorm_min(),
                                  limits::min(),
                                  limits::max(),
                                  -limits::max(),
                                  1e300,
                                  -1e-300,
                                  0.1,
                                  0.2,
                                  0.3,
                                  1.0 / 3,
                                  100,
                                  1e15,
                                  1e16,
                                  1e17,
                                  1e21,
                                  1e22,
                                  123456.789,
                                  9007199254740993.0,
                                  4.9406564584124654e-320,
                                  2.2250738585072009e-308,
                                  1e-5,
                                  1e-7};
  switch (rng_() % 4) {
    case 0:
      return Pick(rng_, kEdges);
    case 1:
      return BitCast<double>(Bits(64));
    case 2:
      return static_cast<double>(Int64()) / std::pow(10.0, rng_() % 12);
    default:
      return std::ldexp(static_cast<double>(rng_()) / 4294967296.0,
                        static_cast<int>(rng_() % 200) - 100);
  }
}

float RandomMessages::Float() {
  using limits = std::numeric_limits<float>;
  static const float kEdges[] = {0.0f,
                                 -0.0f,
                                 limits::quiet_NaN(),
                                 limits::infinity(),
                                 -limits::infinity(),
                                 limits::denorm_min(),
                                 limits::min(),
                                 limits::max(),
                                 -limits::max(),
                                 0.1f,
                                 1.0f / 3,
                                 16777216.0f,
                                 16777217.0f,
                                 1e-45f,
                                 3.4e38f,
                                 1.17549e-38f,
                                 1e-5f,
                                 123.456f};
  switch (rng_() % 4) {
    case 0:
      return Pick(rng_, kEdges);
    case 1:
      return BitCast<float>(static_cast<uint32_t>(Bits(32)));
    case 2:
      return static_cast<float>(Int32()) /
             static_cast<float>(std::pow(10.0, rng_() % 8));
    default:
      return std::ldexp(static_cast<float>(rng_() % 100000) / 100000.0f,
                        static_cast<int>(rng_() % 100) - 50);
  }
}

uint32_t RandomMessages::CodePoint() {
  const int r = static_cast<int>(rng_() % 100);
  if (r < 55) return 0x20 + rng_() % 0x5f;
  if (r < 75) return Pick(rng_, kSpecialCodePoints);
  if (r < 85) return 0x80 + rng_() % (0x800 - 0x80);
  if (r < 95) {
    uint32_t cp = 0x800 + rng_() % (0x10000 - 0x800);
    return (cp >= 0xd800 && cp < 0xe000) ? 0xe000 : cp;  // No surrogates.
  }
  return 0x10000 + rng_() % (0x110000 - 0x10000);
}

std::string RandomMessages::Utf8() {
  const size_t length = Chance(3) ? 100 + rng_() % 1500 : rng_() % 16;
  std::string text;
  for (size_t i = 0; i < length; ++i) AppendUtf8(CodePoint(), &text);
  return text;
}

std::string RandomMessages::Bytes() {
  const size_t length = Chance(3) ? 100 + rng_() % 1000 : rng_() % 20;
  std::string bytes;
  for (size_t i = 0; i < length; ++i)
    bytes.push_back(static_cast<char>(rng_()));
  return bytes;
}

std::string RandomMessages::FieldMaskPath() {
  std::string path;
  if (Chance(30)) {  // Anything protobuf's path conversion may meet.
    static const char kChars[] = "aAbBzZ_._1()\"\\ x";
    for (size_t n = rng_() % 12; n > 0; --n) {
      path.push_back(kChars[rng_() % (sizeof(kChars) - 1)]);
    }
    return path;
  }
  for (int segment = 1 + rng_() % 3; segment > 0; --segment) {
    if (!path.empty()) path.push_back('.');
    for (int word = 1 + rng_() % 3; word > 0; --word) {
      if (path.size() > 0 && path.back() != '.') path.push_back('_');
      for (int n = 1 + rng_() % 6; n > 0; --n) {
        path.push_back(static_cast<char>('a' + rng_() % 26));
      }
    }
  }
  return path;
}

void RandomMessages::Fill(Message* message, int max_depth) {
  message->Clear();
  FillMessage(message, max_depth);
}

void RandomMessages::FillMessage(Message* message, int depth) {
  const Descriptor* type = message->GetDescriptor();
  if (type->full_name() == "google.protobuf.Timestamp") {
    return FillTimestamp(message);
  }
  if (type->full_name() == "google.protobuf.Duration") {
    return FillDuration(message);
  }
  if (depth < 0) return;
  for (int i = 0; i < type->field_count(); ++i) {
    if (type->field(i)->real_containing_oneof() == nullptr) {
      FillField(message, type->field(i), depth);
    }
  }
  for (int i = 0; i < type->real_oneof_decl_count(); ++i) {
    const auto* oneof = type->oneof_decl(i);
    if (Chance(60)) {
      AddOrSet(message, oneof->field(rng_() % oneof->field_count()), depth);
    }
  }
}

void RandomMessages::FillField(Message* message, const FieldDescriptor* field,
                               int depth) {
  if (!field->is_repeated()) {
    if (Chance(55)) AddOrSet(message, field, depth);
    return;
  }
  if (Chance(40)) return;
  const int count = Chance(10) ? 5 + rng_() % 8 : 1 + rng_() % 3;
  for (int i = 0; i < count; ++i) AddOrSet(message, field, depth);
}

// Long: one case per C++ type, each a setter and an adder.
void RandomMessages::AddOrSet(Message* message, const FieldDescriptor* field,
                              int depth) {
  const Reflection* r = message->GetReflection();
  const bool add = field->is_repeated();
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      add ? r->AddInt32(message, field, Int32())
          : r->SetInt32(message, field, Int32());
      break;
    case FieldDescriptor::CPPTYPE_INT64:
      add ? r->AddInt64(message, field, Int64())
          : r->SetInt64(message, field, Int64());
      break;
    case FieldDescriptor::CPPTYPE_UINT32:
      add ? r->AddUInt32(message, field, static_cast<uint32_t>(Int32()))
          : r->SetUInt32(message, field, static_cast<uint32_t>(Int32()));
      break;
    case FieldDescriptor::CPPTYPE_UINT64:
      add ? r->AddUInt64(message, field, static_cast<uint64_t>(Int64()))
          : r->SetUInt64(message, field, static_cast<uint64_t>(Int64()));
      break;
    case FieldDescriptor::CPPTYPE_DOUBLE:
      add ? r->AddDouble(message, field, Double())
          : r->SetDouble(message, field, Double());
      break;
    case FieldDescriptor::CPPTYPE_FLOAT:
      add ? r->AddFloat(message, field, Float())
          : r->SetFloat(message, field, Float());
      break;
    case FieldDescriptor::CPPTYPE_BOOL:
      add ? r->AddBool(message, field, Chance(50))
          : r->SetBool(message, field, Chance(50));
      break;
    case FieldDescriptor::CPPTYPE_ENUM: {
      static const int kUnknown[] = {4,
                                     42,
                                     -1,
                                     -8,
                                     1 << 20,
                                     std::numeric_limits<int32_t>::max(),
                                     std::numeric_limits<int32_t>::min()};
      const auto* type = field->enum_type();
      const int number =
          Chance(70) ? type->value(rng_() % type->value_count())->number()
                     : Pick(rng_, kUnknown);
      add ? r->AddEnumValue(message, field, number)
          : r->SetEnumValue(message, field, number);
      break;
    }
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string value = field->type() == FieldDescriptor::TYPE_BYTES
                              ? Bytes()
                              : (field->containing_type()->full_name() ==
                                         "google.protobuf.FieldMask"
                                     ? FieldMaskPath()
                                     : Utf8());
      add ? r->AddString(message, field, std::move(value))
          : r->SetString(message, field, std::move(value));
      break;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      FillMessage(add ? r->AddMessage(message, field)
                      : r->MutableMessage(message, field),
                  depth - 1);
      break;
  }
}

void RandomMessages::FillTimestamp(Message* message) {
  constexpr int64_t kMin = -62135596800, kMax = 253402300799;
  static const int64_t kEdges[] = {kMin, kMax, 0, -1, 1, 951782400};
  int64_t seconds;
  switch (rng_() % 4) {
    case 0:
      seconds = kMin + static_cast<int64_t>(Bits(64) % (kMax - kMin + 1));
      break;
    case 1:
      seconds = static_cast<int64_t>(rng_() % 2000000) - 1000000;
      break;
    case 2:
      seconds = Pick(rng_, kEdges);
      break;
    default:
      seconds =
          1700000000 + static_cast<int64_t>(rng_() % 200000000) - 100000000;
  }
  int32_t nanos = 0;
  switch (rng_() % 4) {
    case 1:
      nanos = static_cast<int32_t>(rng_() % 1000) * 1000000;
      break;
    case 2:
      nanos = static_cast<int32_t>(rng_() % 1000000) * 1000;
      break;
    case 3:
      nanos = static_cast<int32_t>(rng_() % 1000000000);
  }
  if (Chance(2)) seconds = Chance(50) ? kMax + 1 : kMin - 1;  // Refused.
  if (Chance(2)) nanos = Chance(50) ? -1 : 1000000000;
  const Reflection* r = message->GetReflection();
  const Descriptor* type = message->GetDescriptor();
  r->SetInt64(message, type->FindFieldByNumber(1), seconds);
  r->SetInt32(message, type->FindFieldByNumber(2), nanos);
}

void RandomMessages::FillDuration(Message* message) {
  constexpr int64_t kMax = 315576000000;
  int64_t seconds = Chance(20) ? (Chance(50) ? kMax : -kMax)
                               : static_cast<int64_t>(Bits(39) % kMax);
  int32_t nanos = 0;
  if (Chance(70)) {
    nanos = static_cast<int32_t>(rng_() % 1000000000);
    if (Chance(30)) nanos -= nanos % 1000000;
  }
  if (Chance(50)) {
    seconds = -seconds;
    nanos = -nanos;
  }
  if (seconds == 0 && Chance(50)) nanos = -nanos;
  if (Chance(3)) nanos = -nanos;  // Mixed signs: printed oddly or refused.
  if (Chance(2)) seconds = Chance(50) ? kMax + 1 : -kMax - 1;
  const Reflection* r = message->GetReflection();
  const Descriptor* type = message->GetDescriptor();
  r->SetInt64(message, type->FindFieldByNumber(1), seconds);
  r->SetInt32(message, type->FindFieldByNumber(2), nanos);
}

std::string DeterministicBytes(const Message& message) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  return bytes;
}

std::string Damaged(std::string bytes, std::mt19937& rng) {
  size_t at = bytes.empty() ? 0 : rng() % bytes.size();
  switch (rng() % 5) {
    case 0:
      if (!bytes.empty()) bytes[at] = static_cast<char>(rng());
      break;
    case 1:
      bytes.resize(at);
      break;
    case 2:
      bytes.insert(at, 1, static_cast<char>(rng()));
      break;
    case 3:
      if (!bytes.empty()) bytes.erase(at, 1 + rng() % 3);
      break;
    default:
      bytes = bytes.substr(at) + bytes.substr(0, at);
  }
  return bytes;
}

}  // namespace lmdbapi::json_test
