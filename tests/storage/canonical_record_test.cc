// storage/canonical_record.h against protobuf, its definition: the
// deterministic serialization of random messages of every field kind is
// canonical; whatever bytes the check accepts (those, damaged at random)
// parse, and serialize back to themselves; and each way bytes can parse
// to a record that serializes differently is refused.
#include "storage/canonical_record.h"

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/json/json_types.pb.h"
#include "tests/json/random_message.h"
#include "tests/storage/test_records.pb.h"

namespace lmdbapi::storage {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::Message;
using json_test::Damaged;
using json_test::DeterministicBytes;
using json_test::RandomMessages;
namespace tj = ::lmdbapi::tests::json;

// The types compiled, and some that never are.
std::vector<const Message*> Canonicalizable() {
  return {
      &tj::Scalars::default_instance(),   &tj::Repeateds::default_instance(),
      &tj::Unordered::default_instance(), &tj::Choice::default_instance(),
      &tj::Inner::default_instance(),     &test::Permit::default_instance()};
}

TEST(CanonicalRecordTest, ProtobufsDeterministicSerializationIsCanonical) {
  RandomMessages random(7);
  for (const Message* prototype : Canonicalizable()) {
    auto canonical = CanonicalRecord::Compile(prototype->GetDescriptor());
    std::unique_ptr<Message> message(prototype->New());
    for (int i = 0; i < 2000; ++i) {
      random.Fill(message.get());
      std::string bytes = DeterministicBytes(*message);
      ASSERT_TRUE(canonical->Check(bytes))
          << prototype->GetTypeName() << ": " << message->ShortDebugString();
    }
  }
}

TEST(CanonicalRecordTest, AcceptedBytesParseAndSerializeToThemselves) {
  RandomMessages random(11);
  std::mt19937 rng(13);
  int accepted_damaged = 0;
  for (const Message* prototype : Canonicalizable()) {
    auto canonical = CanonicalRecord::Compile(prototype->GetDescriptor());
    std::unique_ptr<Message> message(prototype->New());
    std::unique_ptr<Message> parsed(prototype->New());
    for (int i = 0; i < 5000; ++i) {
      random.Fill(message.get());
      std::string bytes = Damaged(DeterministicBytes(*message), rng);
      if (rng() % 2 == 0) bytes = Damaged(bytes, rng);
      if (!canonical->Check(bytes)) continue;
      ++accepted_damaged;
      ASSERT_TRUE(parsed->ParseFromString(bytes)) << prototype->GetTypeName();
      ASSERT_EQ(DeterministicBytes(*parsed), bytes)
          << prototype->GetTypeName() << ": " << parsed->ShortDebugString();
    }
  }
  EXPECT_GT(accepted_damaged, 100);  // the damage left many canonical
}

TEST(CanonicalRecordTest, TypesWithMapsOrRecursionAreNeverCanonical) {
  RandomMessages random(17);
  for (const Message* prototype : std::vector<const Message*>{
           &tj::Maps::default_instance(), &tj::Tree::default_instance(),
           &tj::Ping::default_instance()}) {
    auto canonical = CanonicalRecord::Compile(prototype->GetDescriptor());
    std::unique_ptr<Message> message(prototype->New());
    random.Fill(message.get());
    EXPECT_FALSE(canonical->Check(DeterministicBytes(*message)))
        << prototype->GetTypeName();
    EXPECT_FALSE(canonical->Check("")) << prototype->GetTypeName();
  }
}

// Bytes that parse, but to a record protobuf writes otherwise.
TEST(CanonicalRecordTest, RefusesEveryFormProtobufWouldRewrite) {
  auto scalars = CanonicalRecord::Compile(tj::Scalars::descriptor());
  auto repeateds = CanonicalRecord::Compile(tj::Repeateds::descriptor());
  auto choice = CanonicalRecord::Compile(tj::Choice::descriptor());
  struct Case {
    const CanonicalRecord* canonical;
    std::string bytes;
    const char* what;
  };
  using std::string;
  const std::vector<Case> cases = {
      // f_int32 = 3 (tag 0x18), f_int64 = 4 (0x20), f_bool = 13 (0x68),
      // f_string = 14 (0x72), f_float = 2 (0x15).
      {scalars.get(), string("\x18\x01\x20\x02", 4), "in order: accepted"},
      {scalars.get(), string("\x20\x02\x18\x01", 4), "out of order"},
      {scalars.get(), string("\x18\x01\x18\x02", 4), "a singular field twice"},
      {scalars.get(), string("\x18\x00", 2), "a default value written"},
      {scalars.get(), string("\x18\x81\x00", 3), "a varint longer than needed"},
      {scalars.get(), string("\x98\x00\x01", 3), "a tag longer than needed"},
      {scalars.get(), string("\x18\xff\xff\xff\xff\x0f", 6),
       "a negative int32 in five bytes"},
      {scalars.get(), string("\x18\x80\x80\x80\x80\x10", 6),
       "an int32 past 32 bits"},
      {scalars.get(), string("\x68\x02", 2), "a bool of 2"},
      {scalars.get(), string("\x72\x02\xc3\x28", 4), "a string not UTF-8"},
      {scalars.get(), string("\x15\x00\x00\x00\x80", 5),
       "a float of -0: accepted"},
      {scalars.get(), string("\x15\x00\x00\x00\x00", 5), "a float of 0"},
      {scalars.get(), string("\xf8\x01\x01", 3), "an unknown field"},
      {scalars.get(), string("\x19\x01\x00\x00\x00\x00\x00\x00\x00", 9),
       "a field with another wire type"},
      // r_int32 = 3 packed (0x1a), u_int32 = 17 unpacked (0x88 0x01).
      {repeateds.get(), string("\x1a\x02\x01\x02", 4), "packed: accepted"},
      {repeateds.get(), string("\x18\x01\x18\x02", 4),
       "a packed field unpacked"},
      {repeateds.get(), string("\x1a\x00", 2), "an empty packed run"},
      {repeateds.get(), string("\x1a\x01\x01\x1a\x01\x02", 6),
       "a packed field in two runs"},
      {repeateds.get(), string("\x88\x01\x00\x88\x01\x02", 6),
       "unpacked: accepted, zeros too"},
      {repeateds.get(), string("\x8a\x01\x02\x00\x02", 5),
       "an unpacked field packed"},
      // before = 1, text = 2 and number = 3 of oneof pick.
      {choice.get(), string("\x12\x00", 2), "a oneof member empty: accepted"},
      {choice.get(), string("\x12\x01x\x18\x01", 5), "two members of a oneof"},
  };
  for (const Case& c : cases) {
    const bool accepted =
        std::string(c.what).find("accepted") != std::string::npos;
    EXPECT_EQ(c.canonical->Check(c.bytes), accepted) << c.what;
  }
}

}  // namespace
}  // namespace lmdbapi::storage
