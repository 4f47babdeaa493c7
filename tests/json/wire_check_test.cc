// json::WireCheck against protobuf's parser: whatever it says certainly
// parses, protobuf parses (random messages of every field kind, then the
// same bytes damaged: bytes flipped, cut, inserted, dropped), and it says
// so of most well-formed records, or it would save nothing.
#include "json/wire_check.h"

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "proto/examples/permits.pb.h"
#include "tests/json/json_types.pb.h"
#include "tests/json/random_message.h"

namespace lmdbapi::json {
namespace {

using google::protobuf::Message;
using json_test::Damaged;
using json_test::RandomMessages;
namespace tj = ::lmdbapi::tests::json;

// Checks `type`'s random messages and their damaged bytes; returns how many
// well-formed ones the check said certainly parse.
int CheckAgainstProtobuf(const Message& prototype, uint32_t seed, int n) {
  WireCheck check(prototype.GetDescriptor());
  RandomMessages random(seed);
  std::unique_ptr<Message> message(prototype.New());
  std::unique_ptr<Message> parsed(prototype.New());
  int certain = 0;
  for (int i = 0; i < n; ++i) {
    random.Fill(message.get());
    std::string bytes = message->SerializeAsString();
    if (check.CertainlyParses(bytes)) ++certain;
    EXPECT_TRUE(parsed->ParseFromString(bytes));
    for (int d = 0; d < 8; ++d) {
      std::string damaged = Damaged(bytes, random.rng());
      if (!check.CertainlyParses(damaged)) continue;
      EXPECT_TRUE(parsed->ParseFromString(damaged))
          << prototype.GetTypeName() << ": said to parse, does not";
    }
  }
  return certain;
}

TEST(WireCheckTest, WhatItPassesProtobufParses) {
  const int n = 400;
  EXPECT_GT(CheckAgainstProtobuf(tj::Scalars(), 1, n), n * 9 / 10);
  EXPECT_GT(CheckAgainstProtobuf(tj::Repeateds(), 2, n), n * 9 / 10);
  EXPECT_GT(CheckAgainstProtobuf(tj::Tree(), 3, n), n * 9 / 10);
  EXPECT_GT(CheckAgainstProtobuf(tj::Maps(), 4, n), n * 9 / 10);
  EXPECT_GT(CheckAgainstProtobuf(tj::Choice(), 5, n), n * 9 / 10);
  EXPECT_GT(CheckAgainstProtobuf(lmdbapi::examples::permits::Permit(), 6, n),
            n * 9 / 10);
}

TEST(WireCheckTest, LeavesToProtobufWhatMayNotParse) {
  WireCheck check(tj::Scalars::descriptor());
  tj::Scalars record;
  record.set_f_string("ok");
  std::string bytes = record.SerializeAsString();
  ASSERT_TRUE(check.CertainlyParses(bytes));
  std::string bad_utf8 = bytes;
  bad_utf8[bad_utf8.size() - 1] = '\xff';  // a proto3 string not UTF-8
  EXPECT_FALSE(check.CertainlyParses(bad_utf8));
  EXPECT_FALSE(check.CertainlyParses(bytes.substr(0, bytes.size() - 1)));
  EXPECT_FALSE(check.CertainlyParses(std::string("\x00", 1)));  // field 0
  EXPECT_FALSE(check.CertainlyParses("\x0b\x0c"));  // a group: not sure
  EXPECT_TRUE(check.CertainlyParses(""));
}

}  // namespace
}  // namespace lmdbapi::json
