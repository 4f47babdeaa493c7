// json::JsonPrinter against protobuf's JSON printer: random messages of
// every kind of field print the same (differential), so do wire bytes
// protobuf's serializer never writes but its parser reads (unpacked and
// packed, repeated singular fields, oneof switches, unknown fields, fields
// out of order), the skip set leaves fields out, invalid bytes are DATA_LOSS
// and never a crash, and the example schema's Permit prints the same.
#include "json/json_printer.h"

#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/stubs/logging.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/type_resolver.h"
#include "google/protobuf/util/type_resolver_util.h"
#include "gtest/gtest.h"
#include "proto/examples/permits.pb.h"
#include "tests/json/json_types.pb.h"
#include "tests/json/random_message.h"

namespace lmdbapi::json {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using json_test::DeterministicBytes;
using json_test::RandomMessages;
namespace tj = ::lmdbapi::tests::json;

// ---- Printing both ways.

const JsonPrinter& PrinterOf(const Descriptor* type) {
  static auto* printers =
      new std::map<const Descriptor*, std::unique_ptr<JsonPrinter>>;
  std::unique_ptr<JsonPrinter>& printer = (*printers)[type];
  if (printer == nullptr) {
    auto created = JsonPrinter::Create(type);
    EXPECT_TRUE(created.ok()) << created.status();
    printer = std::move(*created);
  }
  return *printer;
}

absl::StatusOr<std::string> Ours(const Descriptor* type,
                                 const std::string& bytes,
                                 const absl::flat_hash_set<int>& skip = {}) {
  std::string json = "unchanged prefix ";
  absl::Status status = PrinterOf(type).Print(bytes, &json, skip);
  if (!status.ok()) return status;
  EXPECT_EQ(json.substr(0, 17), "unchanged prefix ");  // Print appends.
  return json.substr(17);
}

absl::StatusOr<std::string> Protobuf(const Message& message) {
  std::string json;
  auto status = google::protobuf::util::MessageToJsonString(message, &json);
  if (!status.ok()) return absl::InternalError(status.ToString());
  return json;
}

// protobuf's JSON of `bytes`: what MessageToJsonString prints after it
// serializes, but with map entries in the order of `bytes` (its own
// serialization orders them as its hash table does, differently each run).
absl::StatusOr<std::string> ProtobufOfBytes(const Descriptor* type,
                                            const std::string& bytes) {
  static auto* resolver =
      google::protobuf::util::NewTypeResolverForDescriptorPool(
          "type.googleapis.com",
          google::protobuf::DescriptorPool::generated_pool());
  std::string json;
  auto status = google::protobuf::util::BinaryToJsonString(
      resolver, absl::StrCat("type.googleapis.com/", type->full_name()), bytes,
      &json);
  if (!status.ok()) return absl::InternalError(status.ToString());
  return json;
}

// Whether `message` holds, at any depth, a map of two entries or more.
bool HasLongMap(const Message& message) {
  const auto* reflection = message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) continue;
    if (field->is_map() && reflection->FieldSize(message, field) > 1)
      return true;
    if (!field->is_repeated()) {
      if (HasLongMap(reflection->GetMessage(message, field))) return true;
      continue;
    }
    for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
      if (HasLongMap(reflection->GetRepeatedMessage(message, field, i))) {
        return true;
      }
    }
  }
  return false;
}

// Both printers agree on `message`: the same text, or both refuse it (ours
// not with DATA_LOSS: the bytes are valid).
testing::AssertionResult PrintsLikeProtobuf(const Message& message) {
  const std::string bytes = DeterministicBytes(message);
  auto ours = Ours(message.GetDescriptor(), bytes);
  auto expected = ProtobufOfBytes(message.GetDescriptor(), bytes);
  if (!expected.ok()) {
    if (!ours.ok() && !absl::IsDataLoss(ours.status())) {
      return testing::AssertionSuccess();
    }
    return testing::AssertionFailure()
           << "protobuf refuses (" << expected.status()
           << "), ours: " << (ours.ok() ? *ours : ours.status().ToString())
           << "\n"
           << message.DebugString();
  }
  if (!ours.ok() || *ours != *expected) {
    return testing::AssertionFailure()
           << "ours:     " << (ours.ok() ? *ours : ours.status().ToString())
           << "\nprotobuf: " << *expected << "\n"
           << message.DebugString();
  }
  if (!HasLongMap(message) && *Protobuf(message) != *ours) {
    return testing::AssertionFailure()
           << "MessageToJsonString differs: " << *Protobuf(message);
  }
  return testing::AssertionSuccess();
}

// ---- Wire bytes by hand.

std::string Varint(uint64_t value) {
  std::string bytes;
  for (; value >= 0x80; value >>= 7) {
    bytes.push_back(static_cast<char>(value | 0x80));
  }
  bytes.push_back(static_cast<char>(value));
  return bytes;
}
std::string Tag(int number, int wire_type) {
  return Varint((static_cast<uint64_t>(number) << 3) | wire_type);
}
std::string VarintField(int number, uint64_t value) {
  return Tag(number, 0) + Varint(value);
}
std::string LenField(int number, const std::string& payload) {
  return Tag(number, 2) + Varint(payload.size()) + payload;
}
std::string Fixed32Field(int number, uint32_t value) {
  return Tag(number, 5) + std::string(reinterpret_cast<char*>(&value), 4);
}
std::string Fixed64Field(int number, uint64_t value) {
  return Tag(number, 1) + std::string(reinterpret_cast<char*>(&value), 8);
}

// `bytes` parse as T, and print as protobuf prints the parsed message with
// the fields of `skip` cleared.
template <typename T>
void ExpectLikeProtobuf(const std::string& bytes,
                        const absl::flat_hash_set<int>& skip = {}) {
  T parsed;
  ASSERT_TRUE(parsed.ParseFromString(bytes));
  for (int number : skip) {
    const FieldDescriptor* field = T::descriptor()->FindFieldByNumber(number);
    if (field != nullptr) parsed.GetReflection()->ClearField(&parsed, field);
  }
  auto ours = Ours(T::descriptor(), bytes, skip);
  ASSERT_TRUE(ours.ok()) << ours.status();
  EXPECT_EQ(*ours, *Protobuf(parsed)) << parsed.DebugString();
}

template <typename T>
void ExpectDataLoss(const std::string& bytes) {
  google::protobuf::LogSilencer quiet;
  T parsed;
  EXPECT_FALSE(parsed.ParseFromString(bytes)) << "protobuf reads it";
  auto ours = Ours(T::descriptor(), bytes);
  EXPECT_TRUE(absl::IsDataLoss(ours.status()))
      << (ours.ok() ? *ours : ours.status().ToString());
}

// ---- Random messages.

std::vector<const Message*> RandomTypes() {
  return {&tj::Scalars::default_instance(),
          &tj::Repeateds::default_instance(),
          &tj::Maps::default_instance(),
          &tj::Choice::default_instance(),
          &tj::Presence::default_instance(),
          &tj::WellKnown::default_instance(),
          &tj::MaskAndEmpty::default_instance(),
          &tj::Unordered::default_instance(),
          &tj::Tree::default_instance(),
          &tj::Ping::default_instance(),
          &tj::Record::default_instance(),
          &tj::Everything::default_instance()};
}

TEST(JsonPrinterTest, RandomMessagesPrintAsProtobufPrintsThem) {
  google::protobuf::LogSilencer quiet;  // protobuf's refusals log.
  RandomMessages random(20240501);
  int failures = 0;
  for (const Message* prototype : RandomTypes()) {
    const int count =
        prototype->GetDescriptor()->name() == "Everything" ? 1500 : 300;
    for (int i = 0; i < count && failures < 5; ++i) {
      std::unique_ptr<Message> message(prototype->New());
      random.Fill(message.get(), /*max_depth=*/3);
      auto agree = PrintsLikeProtobuf(*message);
      EXPECT_TRUE(agree) << prototype->GetDescriptor()->name() << " #" << i;
      failures += !agree;
    }
  }
}

TEST(JsonPrinterTest, ExamplePermitsPrintAsProtobufPrintsThem) {
  google::protobuf::LogSilencer quiet;
  RandomMessages random(7);
  for (int i = 0; i < 1000; ++i) {
    lmdbapi::examples::permits::Permit permit;
    random.Fill(&permit);
    ASSERT_TRUE(PrintsLikeProtobuf(permit)) << "#" << i;
  }
}

// Bytes of a random message, then edited at random (bytes replaced, bits
// flipped, cut, inserted), or several messages' bytes one after the other
// (which protobuf's parser merges).
std::string MutatedBytes(const Message& prototype, RandomMessages* random) {
  std::mt19937& rng = random->rng();
  std::unique_ptr<Message> message(prototype.New());
  random->Fill(message.get(), 2);
  std::string bytes = DeterministicBytes(*message);
  if (random->Chance(25)) {
    for (int more = 1 + rng() % 2; more > 0; --more) {
      random->Fill(message.get(), 2);
      bytes += DeterministicBytes(*message);
    }
    return bytes;
  }
  for (int edits = 1 + rng() % 3; edits > 0 && !bytes.empty(); --edits) {
    const size_t at = rng() % bytes.size();
    switch (rng() % 4) {
      case 0:
        bytes[at] = static_cast<char>(rng());
        break;
      case 1:
        bytes[at] ^= static_cast<char>(1 << (rng() % 8));
        break;
      case 2:
        bytes.resize(at);
        break;
      default:
        bytes.insert(at, 1, static_cast<char>(rng()));
    }
  }
  return bytes;
}

// Maps compared by content: protobuf orders their entries by its hash.
testing::AssertionResult SameContent(const Message& prototype,
                                     const std::string& ours,
                                     const std::string& expected) {
  std::unique_ptr<Message> from_ours(prototype.New());
  std::unique_ptr<Message> from_protobuf(prototype.New());
  if (!google::protobuf::util::JsonStringToMessage(ours, from_ours.get())
           .ok() ||
      !google::protobuf::util::JsonStringToMessage(expected,
                                                   from_protobuf.get())
           .ok() ||
      DeterministicBytes(*from_ours) != DeterministicBytes(*from_protobuf)) {
    return testing::AssertionFailure() << "protobuf: " << expected;
  }
  return testing::AssertionSuccess();
}

// Where protobuf's parser refuses `bytes`, ours is DATA_LOSS; where it reads
// them, ours prints what protobuf prints of the message it read, or both
// refuse, or ours leaves a wrapper or FieldMask with unknown fields to it.
testing::AssertionResult AgreesOnBytes(const Message& prototype,
                                       const std::string& bytes) {
  std::unique_ptr<Message> parsed(prototype.New());
  const bool read = parsed->ParseFromString(bytes);
  auto ours = Ours(prototype.GetDescriptor(), bytes);
  auto failure = [&]() {
    return testing::AssertionFailure()
           << (ours.ok() ? *ours : ours.status().ToString())
           << "\nbytes: " << absl::CEscape(bytes) << "\n"
           << parsed->DebugString();
  };
  if (!read) {
    if (absl::IsDataLoss(ours.status())) return testing::AssertionSuccess();
    return failure() << "protobuf's parser refuses them";
  }
  auto expected = Protobuf(*parsed);
  if (!expected.ok() || !ours.ok()) {
    if ((!expected.ok() && !ours.ok() && !absl::IsDataLoss(ours.status())) ||
        absl::IsUnimplemented(ours.status())) {
      return testing::AssertionSuccess();
    }
    return failure() << "protobuf: " << expected.status();
  }
  if (HasLongMap(*parsed)) {
    return SameContent(prototype, *ours, *expected) << "\n" << *ours;
  }
  if (*ours != *expected) return failure() << "protobuf: " << *expected;
  return testing::AssertionSuccess();
}

TEST(JsonPrinterTest, MutatedBytesAreDataLossOrPrintAsParsed) {
  google::protobuf::LogSilencer quiet;
  RandomMessages random(99);
  int failures = 0;
  for (const Message* prototype : RandomTypes()) {
    for (int i = 0; i < 400 && failures < 5; ++i) {
      const std::string bytes = MutatedBytes(*prototype, &random);
      auto agree = AgreesOnBytes(*prototype, bytes);
      EXPECT_TRUE(agree) << prototype->GetDescriptor()->name() << " #" << i;
      failures += !agree;
    }
  }
}

// ---- Wire bytes protobuf's serializer does not write.

TEST(JsonPrinterTest, ReadsPackedAndUnpackedRepeatedScalarsAlike) {
  const std::string packed_ints =
      Varint(7) + Varint(uint64_t{1} << 40) + Varint(~uint64_t{0});
  ExpectLikeProtobuf<tj::Repeateds>(
      VarintField(3, 1) + LenField(3, packed_ints) + VarintField(3, 2) +
      LenField(17, Varint(5) + Varint(6)) + VarintField(17, 8) +
      LenField(9, std::string(8, '\x01')) + Fixed32Field(9, 3) +
      LenField(16, Varint(1) + Varint(42)) + VarintField(16, 3));
}

TEST(JsonPrinterTest, PrintsAnEmptyPackedRunAsNoField) {
  ExpectLikeProtobuf<tj::Repeateds>(LenField(3, "") + VarintField(13, 1));
}

TEST(JsonPrinterTest, KeepsTheLastValueOfARepeatedScalar) {
  ExpectLikeProtobuf<tj::Scalars>(VarintField(3, 5) + LenField(14, "first") +
                                  VarintField(3, 7) + VarintField(4, 9) +
                                  LenField(14, "second") + VarintField(4, 0) +
                                  VarintField(16, 2) + VarintField(16, 99));
}

TEST(JsonPrinterTest, PrintsFieldsInNumberOrder) {
  ExpectLikeProtobuf<tj::Scalars>(VarintField(16, 1) + LenField(14, "s") +
                                  VarintField(3, 3) +
                                  Fixed64Field(1, 0x4000000000000000));
  ExpectLikeProtobuf<tj::Unordered>(VarintField(5, 5) + VarintField(3, 3) +
                                    LenField(2, VarintField(1, 2)) +
                                    LenField(1, "one"));
}

TEST(JsonPrinterTest, MergesAMessageFieldGivenTwice) {
  const std::string first =
      LenField(1, VarintField(3, 1) + LenField(14, "x")) +
      LenField(3, LenField(1, "root") + LenField(2, LenField(1, "a")));
  const std::string second =
      LenField(1, LenField(14, "y") + VarintField(13, 1)) +
      LenField(3,
               LenField(2, LenField(1, "b")) + LenField(4, VarintField(1, 4)));
  ExpectLikeProtobuf<tj::Record>(first + VarintField(11, 3) + second);
}

TEST(JsonPrinterTest, KeepsTheOneofMemberSetLast) {
  const std::string inner_a = LenField(4, VarintField(1, 1) + LenField(2, "a"));
  const std::string inner_b = LenField(4, LenField(2, "b") + VarintField(4, 2));
  ExpectLikeProtobuf<tj::Choice>(LenField(2, "text") + VarintField(3, 0));
  ExpectLikeProtobuf<tj::Choice>(inner_a + LenField(2, "text") + inner_b);
  ExpectLikeProtobuf<tj::Choice>(inner_a + VarintField(10, 1) + inner_b);
  ExpectLikeProtobuf<tj::Choice>(inner_a + VarintField(7, 0) + LenField(2, ""));
}

TEST(JsonPrinterTest, SkipsUnknownFieldsAndKnownNumbersOfOtherWireTypes) {
  const std::string group = Tag(103, 3) + VarintField(1, 1) + Tag(7, 3) +
                            Tag(7, 4) + LenField(2, "x") + Tag(103, 4);
  ExpectLikeProtobuf<tj::Scalars>(
      VarintField(100, 1) + Fixed64Field(101, 2) + LenField(102, "\xff") +
      group + Fixed32Field(104, 4) + LenField(3, Varint(5)) +
      VarintField(14, 7) + Fixed32Field(13, 1) + VarintField(3, 6) +
      VarintField(1, 1));
  ExpectLikeProtobuf<tj::Record>(
      LenField(1, VarintField(99, 1) + VarintField(3, 2)));
}

TEST(JsonPrinterTest, KeepsTheLastValueOfAMapKey) {
  auto entry = [](const std::string& key, const std::string& value) {
    return LenField(1, LenField(1, key) + LenField(2, value));
  };
  ExpectLikeProtobuf<tj::Maps>(entry("k", "1") + entry("k", "2"));
  ExpectLikeProtobuf<tj::Maps>(entry("<\"k", "1") + VarintField(9, 9) +
                               entry("<\"k", "3"));
  // Missing keys and values read as their defaults; the value may come first.
  ExpectLikeProtobuf<tj::Maps>(
      LenField(1, "") + LenField(3, "") + LenField(4, VarintField(2, 1)) +
      LenField(8, LenField(2, LenField(1, "t")) + LenField(1, "k")) +
      LenField(14, LenField(1, "ts")) + LenField(15, "") +
      LenField(2, VarintField(1, 5) + VarintField(1, 6) + VarintField(7, 1)));
}

TEST(JsonPrinterTest, ReadsVarintsAsProtobufDoes) {
  ExpectLikeProtobuf<tj::Scalars>(
      VarintField(3, ~uint64_t{0}) + VarintField(5, (uint64_t{1} << 32) + 5) +
      VarintField(13, 2) + VarintField(16, (uint64_t{1} << 32) + 2) +
      VarintField(7, 0xffffffff) + Tag(17, 0) +
      std::string("\x81\x80\x80\x00", 4));
  ExpectLikeProtobuf<tj::Scalars>(VarintField(3, uint64_t{1} << 32));  // 0.
}

TEST(JsonPrinterTest, ReadsWellKnownTypesGivenInPieces) {
  ExpectLikeProtobuf<tj::WellKnown>(
      LenField(1, VarintField(1, 5) + VarintField(2, 7) + VarintField(1, 6) +
                      VarintField(9, 1)) +
      LenField(5, VarintField(1, 3)) + LenField(5, VarintField(1, 4)) +
      LenField(10, LenField(1, "a")) + LenField(10, "") +
      LenField(2, VarintField(2, 5)) + LenField(2, VarintField(1, 1)) +
      LenField(14, "") + LenField(7, ""));
}

TEST(JsonPrinterTest, LeavesOutSkippedTopLevelFields) {
  const std::string bytes = VarintField(3, 5) + LenField(14, "s") +
                            VarintField(4, 1) + VarintField(536870911, 2) +
                            VarintField(16, 1);
  ExpectLikeProtobuf<tj::Scalars>(bytes, {3, 14, 536870911});
  ExpectLikeProtobuf<tj::Scalars>(bytes, {1000});
  // Only top-level numbers: Record's 3 is its tree, Scalars' 3 stays.
  ExpectLikeProtobuf<tj::Record>(
      LenField(1, VarintField(3, 1)) + LenField(3, LenField(1, "t")), {3});
  // A skipped field is still checked.
  EXPECT_TRUE(absl::IsDataLoss(
      Ours(tj::Scalars::descriptor(), LenField(14, "\xff"), {14}).status()));
}

// ---- What only protobuf prints, and what it refuses.

TEST(JsonPrinterTest, LeavesTypesWithoutAFastPathToProtobuf) {
  for (const Descriptor* type :
       {tj::WithAny::descriptor(), tj::WithStruct::descriptor(),
        tj::WithValue::descriptor(), tj::WithListValue::descriptor(),
        tj::WithNullValue::descriptor(), tj::DeepUnsupported::descriptor(),
        google::protobuf::FileDescriptorProto::descriptor()}) {
    EXPECT_TRUE(absl::IsUnimplemented(JsonPrinter::Create(type).status()))
        << type->full_name();
  }
  EXPECT_TRUE(JsonPrinter::Create(tj::Everything::descriptor()).ok());
}

TEST(JsonPrinterTest, RefusesWhatProtobufsPrinterRefuses) {
  google::protobuf::LogSilencer quiet;
  tj::WellKnown late;
  late.mutable_timestamp()->set_seconds(253402300800);
  EXPECT_FALSE(Protobuf(late).ok());
  EXPECT_TRUE(absl::IsInvalidArgument(
      Ours(late.descriptor(), late.SerializeAsString()).status()));
  for (int depth : {64, 65}) {
    tj::Tree tree;
    tj::Tree* node = &tree;
    for (int i = 0; i < depth; ++i) node = node->mutable_left();
    EXPECT_EQ(Protobuf(tree).ok(), depth == 64);
    auto ours = Ours(tree.descriptor(), tree.SerializeAsString());
    if (depth == 64) EXPECT_EQ(*ours, *Protobuf(tree));
    if (depth == 65) EXPECT_TRUE(absl::IsInvalidArgument(ours.status()));
  }
  // A wrapper with an unknown field: protobuf's printer misreads it.
  EXPECT_TRUE(absl::IsUnimplemented(
      Ours(tj::WellKnown::descriptor(), LenField(7, VarintField(2, 7)))
          .status()));
}

TEST(JsonPrinterTest, InvalidBytesAreDataLoss) {
  ExpectDataLoss<tj::Scalars>("\x08\x80");  // Truncated varint.
  ExpectDataLoss<tj::Scalars>("\x80");      // Truncated tag.
  ExpectDataLoss<tj::Scalars>(VarintField(3, 1) + std::string(11, '\xff') +
                              "\x01");
  ExpectDataLoss<tj::Scalars>(
      "\x72\x05"
      "ab");  // Length past the end.
  ExpectDataLoss<tj::Scalars>("\x72\xff\xff\xff\xff\x0f");  // Length of 4 GiB.
  ExpectDataLoss<tj::Scalars>("\x0e\x01");                  // Wire type 6.
  ExpectDataLoss<tj::Scalars>("\x0f\x01");                  // Wire type 7.
  ExpectDataLoss<tj::Scalars>("\x0c");                      // End of no group.
  ExpectDataLoss<tj::Scalars>(std::string("\x00\x01", 2));  // Field 0.
  ExpectDataLoss<tj::Scalars>(Tag(100, 3) +
                              VarintField(1, 1));          // Unclosed group.
  ExpectDataLoss<tj::Scalars>(Tag(100, 3) + Tag(101, 4));  // Mismatched end.
  ExpectDataLoss<tj::Scalars>(
      Fixed64Field(1, 0).substr(0, 5));  // Truncated fixed.
  ExpectDataLoss<tj::Repeateds>(
      LenField(9, "abc"));  // Packed fixed32, 3 bytes.
  ExpectDataLoss<tj::Repeateds>(LenField(3, "\x80"));     // Packed, cut varint.
  ExpectDataLoss<tj::Scalars>(LenField(14, "\xc0\x80"));  // Overlong UTF-8.
  ExpectDataLoss<tj::Scalars>(LenField(14, "\xed\xa0\x80"));  // A surrogate.
  ExpectDataLoss<tj::Scalars>(LenField(14, "\xff") + LenField(14, "ok"));
  ExpectDataLoss<tj::Maps>(LenField(1, LenField(1, "\xff")));  // In a map key.
  ExpectDataLoss<tj::Record>(LenField(1, "\x08"));             // In a message.
  ExpectDataLoss<tj::Choice>(LenField(4, "\x08") +
                             LenField(2, "x"));  // In a dropped member.
  ExpectDataLoss<tj::WellKnown>(LenField(10, LenField(1, "\xff")));
  ExpectDataLoss<tj::MaskAndEmpty>(LenField(1, LenField(1, "\xff")));
  std::string deep;
  for (int i = 0; i < 101; ++i) deep = LenField(3, deep);
  ExpectDataLoss<tj::Tree>(deep);
}

}  // namespace
}  // namespace lmdbapi::json
