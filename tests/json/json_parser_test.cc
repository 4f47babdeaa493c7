// JsonParser against protobuf 3.21's util::JsonStringToMessage: whatever
// JsonParser accepts, protobuf accepts with an equal message (random
// messages printed by protobuf, hand-written variants, mutated lines), and
// every input protobuf refuses JsonParser refuses too.
#include "json/json_parser.h"

#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "proto/examples/permits.pb.h"
#include "tests/json/json_types.pb.h"
#include "tests/json/parser_oracle.h"
#include "tests/json/parser_random_fill.h"
#include "tests/json/random_message.h"

namespace lmdbapi::json {
namespace {

namespace pb = ::lmdbapi::tests::json;
using google::protobuf::Message;
using json_test::DeterministicBytes;
using testing::CheckAgainstProtobuf;
using testing::EqualMessages;
using testing::FillRandom;

std::unique_ptr<JsonParser> ParserOf(const Message& prototype) {
  auto parser = JsonParser::Create(prototype.GetDescriptor());
  EXPECT_TRUE(parser.ok()) << parser.status();
  return parser.ok() ? *std::move(parser) : nullptr;
}

bool ProtobufAccepts(const Message& prototype, absl::string_view json) {
  std::unique_ptr<Message> m(prototype.New());
  return google::protobuf::util::JsonStringToMessage(
             google::protobuf::StringPiece(json.data(), json.size()), m.get())
      .ok();
}

// An input and the type it is parsed as.
struct Case {
  const Message& prototype;
  std::string json;
};

const Message& kScalars = pb::Scalars::default_instance();
const Message& kRepeateds = pb::Repeateds::default_instance();
const Message& kMaps = pb::Maps::default_instance();
const Message& kChoice = pb::Choice::default_instance();
const Message& kPresence = pb::Presence::default_instance();
const Message& kWellKnown = pb::WellKnown::default_instance();
const Message& kUnordered = pb::Unordered::default_instance();
const Message& kRecord = pb::Record::default_instance();

TEST(JsonParserCreateTest, LeavesWellKnownAndProto2TypesToProtobuf) {
  const Message* refused[] = {&pb::WithAny::default_instance(),
                              &pb::WithStruct::default_instance(),
                              &pb::WithValue::default_instance(),
                              &pb::WithListValue::default_instance(),
                              &pb::WithNullValue::default_instance(),
                              &pb::MaskAndEmpty::default_instance(),
                              &pb::DeepUnsupported::default_instance(),
                              &pb::Everything::default_instance()};
  for (const Message* m : refused) {
    auto parser = JsonParser::Create(m->GetDescriptor());
    EXPECT_EQ(parser.status().code(), absl::StatusCode::kUnimplemented)
        << m->GetTypeName();
  }
  EXPECT_EQ(JsonParser::Create(google::protobuf::DescriptorProto::descriptor())
                .status()
                .code(),
            absl::StatusCode::kUnimplemented);  // a proto2 type
  EXPECT_EQ(JsonParser::Create(google::protobuf::Timestamp::descriptor())
                .status()
                .code(),
            absl::StatusCode::kUnimplemented);  // not a JSON object
  EXPECT_TRUE(JsonParser::Create(kRecord.GetDescriptor()).ok());
}

// `message` printed by protobuf with `options`, into `json`, and that
// parsed by `parser`, into `wire`.
void PrintAndParse(const JsonParser& parser, const Message& message,
                   const google::protobuf::util::JsonPrintOptions& options,
                   std::string* json, std::string* wire) {
  ASSERT_TRUE(
      google::protobuf::util::MessageToJsonString(message, json, options).ok());
  ASSERT_TRUE(parser.Parse(*json, wire).ok()) << *json;
}

// Each random message, printed by protobuf with each set of options, is
// accepted and parsed to the message itself and to protobuf's parse.
void CheckPrintedMessage(
    const JsonParser& parser, const Message& message,
    const google::protobuf::util::JsonPrintOptions& options) {
  std::string json, wire;
  PrintAndParse(parser, message, options, &json, &wire);
  if (::testing::Test::HasFatalFailure()) return;
  auto result = CheckAgainstProtobuf(parser, message, json);
  ASSERT_TRUE(result.accepted) << json;
  ASSERT_EQ(result.disagreement, "") << json;
  std::unique_ptr<Message> mine(message.New());
  ASSERT_TRUE(mine->ParseFromString(wire));
  std::string diff;
  if (!EqualMessages(*mine, message, &diff)) {
    // Only where protobuf's own round trip differs too (a float printed
    // with 9 digits and read back through double).
    std::unique_ptr<Message> theirs(message.New());
    ASSERT_TRUE(
        google::protobuf::util::JsonStringToMessage(json, theirs.get()).ok());
    std::string ignored;
    ASSERT_FALSE(EqualMessages(*theirs, message, &ignored)) << diff << json;
  }
}

TEST(JsonParserRandomTest, RandomMessagesPrintedByProtobufParseToThemselves) {
  const Message* types[] = {
      &kRecord,
      &kScalars,
      &kRepeateds,
      &kMaps,
      &kChoice,
      &kPresence,
      &kWellKnown,
      &kUnordered,
      &lmdbapi::examples::permits::Permit::default_instance()};
  std::mt19937 rng(20240229);
  for (const Message* type : types) {
    auto parser = ParserOf(*type);
    for (int i = 0; i < 400; ++i) {
      std::unique_ptr<Message> message(type->New());
      FillRandom(&rng, 3, message.get());
      google::protobuf::util::JsonPrintOptions options;
      options.preserve_proto_field_names = (i & 1) != 0;
      options.always_print_enums_as_ints = (i & 2) != 0;
      options.always_print_primitive_fields = (i & 4) != 0;
      options.add_whitespace = (i & 8) != 0;
      CheckPrintedMessage(*parser, *message, options);
      if (HasFatalFailure()) return;
    }
  }
}

// A default value given in the JSON is not written, as protobuf writes
// none (a field with presence, or a repeated one's element, is).
TEST(JsonParserTest, WritesNoDefaultOfAFieldWithoutPresence) {
  auto parser =
      ParserOf(lmdbapi::examples::permits::Permit::default_instance());
  std::string wire;
  ASSERT_TRUE(parser
                  ->Parse(R"({"uuid":"u","permitNumber":"","county":"NY",)"
                          R"("status":"PERMIT_STATUS_UNSPECIFIED",)"
                          R"("issued":"1970-01-01T00:00:00Z","feeCents":"0"})",
                          &wire)
                  .ok());
  lmdbapi::examples::permits::Permit expected;
  expected.set_uuid("u");
  expected.set_county("NY");
  expected.mutable_issued();  // a message: present, though empty
  EXPECT_EQ(wire, DeterministicBytes(expected));
}

// A -0 is a sign kept or lost exactly as protobuf keeps it: the integer
// token -0 is an int64 0 (+0.0), any other form -0.0. EqualMessages (==)
// cannot tell the two apart, so the sign bits are compared here.
TEST(JsonParserTest, KeepsTheSignOfAMinusZeroAsProtobufDoes) {
  auto parser = ParserOf(kScalars);
  for (const char* value : {"-0", "-0.0", "-0e0", "\"-0\"", "\"-0.0\""}) {
    const std::string json =
        absl::StrCat(R"({"fDouble":)", value, R"(,"fFloat":)", value, "}");
    std::string wire;
    ASSERT_TRUE(parser->Parse(json, &wire).ok()) << json;
    pb::Scalars mine, theirs;
    ASSERT_TRUE(mine.ParseFromString(wire));
    ASSERT_TRUE(
        google::protobuf::util::JsonStringToMessage(json, &theirs).ok());
    EXPECT_EQ(std::signbit(mine.f_double()), std::signbit(theirs.f_double()))
        << json;
    EXPECT_EQ(std::signbit(mine.f_float()), std::signbit(theirs.f_float()))
        << json;
    EXPECT_EQ(wire, DeterministicBytes(theirs)) << json;
  }
}

// Printed by protobuf (in field-number order, for these types), a record
// parses to the very bytes protobuf writes for it, so a server stores an
// imported record as it arrives (storage/canonical_record.h).
TEST(JsonParserRandomTest, PrintedRecordsParseToProtobufsOwnBytes) {
  // Types whose fields protobuf prints in number order (it prints a
  // oneof's member, and fields declared out of order, elsewhere).
  const Message* types[] = {
      &kScalars, &kRepeateds,
      &lmdbapi::examples::permits::Permit::default_instance()};
  std::mt19937 rng(20261205);
  int compared = 0;
  for (const Message* type : types) {
    auto parser = ParserOf(*type);
    for (int i = 0; i < 400; ++i) {
      std::unique_ptr<Message> message(type->New());
      FillRandom(&rng, 3, message.get());
      std::string json, wire;
      PrintAndParse(*parser, *message, {}, &json, &wire);
      if (HasFatalFailure()) return;
      std::unique_ptr<Message> mine(type->New());
      ASSERT_TRUE(mine->ParseFromString(wire));
      // Only where the record itself came back (a float printed with 9
      // digits does not, nor a -0.0 printed as -0, which protobuf reads as
      // +0.0 too: KeepsTheSignOfAMinusZeroAsProtobufDoes).
      if (DeterministicBytes(*mine) != DeterministicBytes(*message)) continue;
      ++compared;
      ASSERT_EQ(wire, DeterministicBytes(*message)) << json;
    }
  }
  EXPECT_GT(compared, 900);
}

// JSON protobuf accepts beyond what its printer writes, and JsonParser too.
// Long: a table, one input a line.
const std::vector<Case>& Variants() {
  static const auto* cases = new std::vector<Case>{
      {kScalars, R"({"fInt32": "12", "fInt64": 7, "fUint32": "+5"})"},
      {kScalars, R"({"fInt32": 1e2, "fSint32": 1.0, "fSfixed32": -0})"},
      {kScalars,
       R"({"fInt32": "007", "fUint64": -0.0, "fFixed32": 4.294967295e9})"},
      {kScalars,
       R"({"fInt32": -2147483648, "fSint64": "-9223372036854775808"})"},
      {kScalars,
       R"({"fInt64": 9223372036854775807, "fUint64": 18446744073709551615})"},
      {kScalars, R"({"fInt64": -9223372036854775809})"},  // a double: INT64_MIN
      {kScalars, R"({"fInt64": 9007199254740993.0, "fFixed64": 1e19})"},
      {kScalars, R"({"fSfixed64": "-1", "fFixed64": "18446744073709551615"})"},
      {kScalars, R"({"fDouble": "NaN", "fFloat": "-Infinity"})"},
      {kScalars, R"({"fDouble": "Infinity", "fFloat": "NaN"})"},
      {kScalars, R"({"fDouble": "-Infinity", "fFloat": "Infinity"})"},
      {kScalars, R"({"fDouble": "1.5", "fFloat": "-0"})"},
      {kScalars, R"({"fDouble": -0, "fFloat": -0.0})"},
      {kScalars, R"({"fDouble": "-0", "fFloat": 1e-50})"},
      {kScalars, R"({"fDouble": 1e-400, "fFloat": "1e-400"})"},
      {kScalars, R"({"fDouble": 9007199254740993, "fFloat": 16777217})"},
      {kScalars,
       R"({"fDouble": 1.7976931348623157e308, "fFloat": 3.4028235e38})"},
      {kScalars, R"({"fDouble": 4.9e-324, "fFloat": 3.4028235677973362e38})"},
      {kScalars, R"({"fFloat": 1152921573326323713})"},    // one rounding
      {kScalars, R"({"fFloat": "1152921573326323713"})"},  // two roundings
      {kScalars, R"({"fFloat": 1.00000005960464477550})"},
      {kScalars, R"({"fFloat": "3.4028234663852886e38"})"},
      {kScalars, R"({"fDouble": 123456789012345678901234567890})"},
      {kScalars, R"({"fDouble": "1E+5", "fFloat": "0.8e-45"})"},
      {kScalars, R"({"fBool": "true", "fColor": 2})"},
      {kScalars, R"({"fBool": "false", "fColor": 42})"},
      {kScalars, R"({"fColor": -7})"},
      {kScalars, R"({"fColor": "CRIMSON"})"},
      {kScalars, R"({"fColor": "INFRARED"})"},
      {kScalars, R"({"fColor": 1.0})"},
      {kScalars,
       R"({"fString": "a\"b\\c\/d\b\f\n\r\t\u0000\u00e9\u4E2D\ud83d\ude00\uDBFF\uDFFF"})"},
      {kScalars,
       "{\"fString\": "
       "\"\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\"}"},
      {kScalars, R"({"fBytes": "AQID"})"},
      {kScalars, R"({"fBytes": "AQI="})"},
      {kScalars, R"({"fBytes": "AQI"})"},
      {kScalars, R"({"fBytes": "-_8="})"},
      {kScalars, R"({"fBytes": "+/8"})"},
      {kScalars, R"({"fBytes": ""})"},
      {kScalars, R"({"fBytes": "AQ\u003d\u003d"})"},
      {kScalars,
       R"({"customName": 1, "field1x": 2, "x": 3, "bigFieldNumber": 4})"},
      {kScalars,
       R"({"with_json_name": 1, "field_1x": 2, "x_": 3, "big_field_number": 4})"},
      {kScalars,
       R"({"f_int32": 5, "fString": null, "fColor": null, "fBytes": null})"},
      {kScalars, " \t\r\n{ \"fInt32\" :\n1 , \"fBool\"\t:\rtrue } \r\n"},
      {kScalars, R"({"f\u0049nt32": 1})"},
      {kScalars, R"({})"},
      {kWellKnown, R"({"timestamp": "1970-01-01T00:00:00Z"})"},
      {kWellKnown, R"({"timestamp": "2024-02-29T12:34:56.123456789+05:30"})"},
      {kWellKnown, R"({"timestamp": "0001-01-01T00:00:00+01:00"})"},
      {kWellKnown, R"({"timestamp": "9999-12-31T23:59:59.999999999-23:59"})"},
      {kWellKnown, R"({"timestamp": "1969-12-31T23:59:59.5Z"})"},
      {kWellKnown, R"({"timestamp": "2000-02-29T00:00:00.000-00:00"})"},
      {kWellKnown,
       R"({"duration": "-1.5s", "timestamps": ["1970-01-01T00:00:01.1Z"]})"},
      {kWellKnown,
       R"({"duration": "0.000000001s", "durations": ["-0.5s", "0s", "-0s"]})"},
      {kWellKnown, R"({"duration": "315576000000.999999999s"})"},
      {kWellKnown, R"({"duration": "-315576000000.999999999s"})"},
      {kWellKnown, R"({"duration": "01s"})"},
      {kWellKnown,
       R"({"int32Value": 0, "stringValue": "", "int64Value": "5"})"},
      {kWellKnown,
       R"({"boolValue": false, "doubleValue": "NaN", "bytesValue": "AQ=="})"},
      {kWellKnown,
       R"({"uint64Value": 18446744073709551615, "floatValue": 1.5})"},
      {kWellKnown,
       R"({"uint32Value": "4294967295", "int32Values": [1, 0, "-3"]})"},
      {kWellKnown,
       R"({"int32Value": null, "timestamp": null, "duration": null})"},
      {kMaps, R"({"int32Int64": {"-5": "7", "01": 1, "+2": -3}})"},
      {kMaps, R"({"boolColor": {"true": "RED", "false": 2}})"},
      {kMaps, R"({"uint32Bytes": {"4": "AQ==", "0": ""}})"},
      {kMaps, R"({"stringTimestamp": {"a": "1970-01-01T00:00:01Z"}})"},
      {kMaps, R"({"stringInt64Value": {"x": "5", "y": 0}})"},
      {kMaps,
       R"({"int64Inner": {"9223372036854775807": {"id": 1}, "-1": {}}})"},
      {kMaps, R"({"stringString": {"": "", "\u00e9": "x", "e\u0301": "y"}})"},
      {kMaps,
       R"({"fixed64Fixed64": {"18446744073709551615": "18446744073709551615"}})"},
      {kMaps, R"({"sint64Double": {"-9223372036854775808": "-Infinity"}})"},
      {kMaps,
       R"({"sfixed32Sint64": {"-2147483648": 1}, "sint32Sfixed32": {"-1": -1}})"},
      {kMaps,
       R"({"stringTree": {"t": {"left": {"label": "l"}}}, "stringString": {}})"},
      {kChoice, R"({"before": "b", "text": "x", "after": 3})"},
      {kChoice, R"({"number": "5"})"},
      {kChoice, R"({"when": "1970-01-01T00:00:00Z"})"},
      {kChoice, R"({"inner": {}})"},
      {kChoice, R"({"color": "COLOR_UNSPECIFIED"})"},
      {kChoice, R"({"flag": false})"},
      {kChoice, R"({"ratio": 0, "before": ""})"},
      {kChoice, R"({"blob": ""})"},
      {kPresence,
       R"({"oInt32": 0, "oString": "", "oColor": "COLOR_UNSPECIFIED", "oDouble": -0.0,
          "oBool": false, "oBytes": "", "oFloat": 0, "oUint64": "0", "oInt64": 0,
          "plain": 0})"},
      {kPresence, R"({"oInt32": null, "o_string": null})"},
      {kRepeateds,
       R"({"rInt32": [1, -1, "2", 1e2], "uInt32": [], "rString": ["a", ""],
          "uSint64": ["-9223372036854775808"], "rColor": ["RED", 42],
          "rBytes": ["", "AQ=="], "rDouble": ["NaN", 1.5], "uBool": [true, "false"],
          "rFloat": [], "u_double": [-0], "rFixed32": [0, 4294967295]})"},
      {kRepeateds, R"({"rInt32": null, "rString": null})"},
      {kUnordered,
       R"({"fourth": "x", "third": 3, "first": "f", "second": {"id": 1}})"},
      {kUnordered, R"({"fifth": 5, "second": {"values": ["1", 2]}})"},
  };
  return *cases;
}

TEST(JsonParserVariantsTest, AcceptedWithProtobufsMessage) {
  for (const Case& c : Variants()) {
    auto parser = ParserOf(c.prototype);
    auto result = CheckAgainstProtobuf(*parser, c.prototype, c.json);
    EXPECT_TRUE(result.accepted) << c.json;
    EXPECT_EQ(result.disagreement, "") << c.json;
  }
}

// Input protobuf refuses: JsonParser must refuse it too.
// Long: a table, one input a line.
const std::vector<Case>& Refused() {
  static const auto* cases = new std::vector<Case>{
      {kScalars, R"({"nope": 1})"},
      {kScalars, R"({"withJsonName": 1})"},
      {kScalars, R"({"": 1})"},
      {kScalars, R"({"fInt32": 2147483648})"},
      {kScalars, R"({"fInt32": -2147483649})"},
      {kScalars, R"({"fInt32": 1.5})"},
      {kScalars, R"({"fInt32": 1e-2})"},
      {kScalars, R"({"fInt32": "1.0"})"},
      {kScalars, R"({"fInt32": "1e2"})"},
      {kScalars, R"({"fInt32": " 1"})"},
      {kScalars, R"({"fInt32": ""})"},
      {kScalars, R"({"fInt32": true})"},
      {kScalars, R"({"fInt32": 01})"},
      {kScalars, R"({"fInt32": +1})"},
      {kScalars, R"({"fInt32": .5})"},
      {kScalars, R"({"fInt32": -})"},
      {kScalars, R"({"fInt32": 1e})"},
      {kScalars, R"({"fUint32": -1})"},
      {kScalars, R"({"fUint32": "-0"})"},
      {kScalars, R"({"fInt64": 9223372036854775808})"},
      {kScalars, R"({"fInt64": "9223372036854775808"})"},
      {kScalars, R"({"fInt64": "99999999999999999999"})"},
      {kScalars, R"({"fInt64": 1e19})"},
      {kScalars, R"({"fUint64": 18446744073709551616})"},
      {kScalars, R"({"fUint64": "-1"})"},
      {kScalars, R"({"fFixed32": -1})"},
      {kScalars, R"({"fDouble": 1e400})"},
      {kScalars, R"({"fDouble": "1e400"})"},
      {kScalars, R"({"fDouble": "nan"})"},
      {kScalars, R"({"fDouble": "inf"})"},
      {kScalars, R"({"fDouble": NaN})"},
      {kScalars, R"({"fDouble": "Infinity "})"},
      {kScalars, R"({"fDouble": true})"},
      {kScalars, R"({"fFloat": 3.5e38})"},
      {kScalars, R"({"fFloat": 3.4028235677973366e38})"},
      {kScalars, R"({"fFloat": "3.4028235e38"})"},
      {kScalars, R"({"fBool": 1})"},
      {kScalars, R"({"fBool": True})"},
      {kScalars, R"({"fString": 1})"},
      {kScalars, R"({"fString": "\ud83d"})"},
      {kScalars, R"({"fString": "\ud83dx"})"},
      {kScalars, R"({"fString": "\ude00"})"},
      {kScalars, R"({"fString": "\ud83d\u0041"})"},
      {kScalars, R"({"fString": "\u00G0"})"},
      {kScalars, R"({"fString": "\u00"})"},
      {kScalars, "{\"fString\": \"\xff\"}"},
      {kScalars, "{\"fString\": \"\xc3\"}"},
      {kScalars, "{\"fString\": \"\xed\xa0\x80\"}"},
      {kScalars, "{\"fString\": \"\xc0\x80\"}"},
      {kScalars, "{\"fString\": \"\xf4\x90\x80\x80\"}"},
      {kScalars, "{\"fString\": \"\xe0\x80\x80\"}"},
      {kScalars, "{\"f\xffString\": \"\"}"},
      {kScalars, R"({"fString": "abc)"},
      {kScalars, R"({"fBytes": "AQJ"})"},
      {kScalars, R"({"fBytes": "AR=="})"},
      {kScalars, R"({"fBytes": "A"})"},
      {kScalars, R"({"fBytes": "AQ="})"},
      {kScalars, R"({"fBytes": "AQ==="})"},
      {kScalars, R"({"fBytes": "-/8="})"},
      {kScalars, R"({"fBytes": "A Q=="})"},
      {kScalars, R"({"fBytes": "AQ==AQ=="})"},
      {kScalars, R"({"fBytes": "="})"},
      {kScalars, R"({"fBytes": 1})"},
      {kScalars, R"({"fColor": "BLUE_ISH"})"},
      {kScalars, R"({"fColor": "red"})"},
      {kScalars, R"({"fColor": "7"})"},
      {kScalars, R"({"fColor": 2147483648})"},
      {kScalars, R"({"fColor": true})"},
      {kScalars, R"({"fInt32": 1} x)"},
      {kScalars, R"({"fInt32": 1},)"},
      {kScalars, R"({"fInt32": 1}{})"},
      {kScalars, R"({"fInt32": 1)"},
      {kScalars, R"({"fInt32")"},
      {kScalars, R"({"fInt32" 1})"},
      {kScalars, R"({"fInt32": 1 "fBool": true})"},
      {kScalars, R"({"fInt32": 1,, "fBool": true})"},
      {kScalars, ""},
      {kScalars, "   "},
      {kScalars, "[]"},
      {kScalars, "null"},
      {kScalars, "\xef\xbb\xbf{}"},
      {kScalars, R"({"fInt32": [1]})"},
      {kChoice, R"({"text": "x", "number": "1"})"},
      {kChoice, R"({"text": "x", "text": "y"})"},
      {kChoice, R"({"inner": {}, "when": "1970-01-01T00:00:00Z"})"},
      {kChoice, R"({"inner": []})"},
      {kChoice, R"({"inner": 1})"},
      {kMaps, R"({"stringString": {"a": "1", "a": "2"}})"},
      {kMaps, R"({"int32Int64": {"x": "1"}})"},
      {kMaps, R"({"int32Int64": {"2147483648": "1"}})"},
      {kMaps, R"({"int32Int64": {" 1": "1"}})"},
      {kMaps, R"({"int32Int64": {"1.0": "1"}})"},
      {kMaps, R"({"int32Int64": {"": "1"}})"},
      {kMaps, R"({"stringString": []})"},
      {kWellKnown, R"({"timestamp": "2024-02-30T00:00:00Z"})"},
      {kWellKnown, R"({"timestamp": "2023-02-29T00:00:00Z"})"},
      {kWellKnown, R"({"timestamp": "2024-02-29T12:34:56"})"},
      {kWellKnown, R"({"timestamp": "2024-02-29T24:00:00Z"})"},
      {kWellKnown, R"({"timestamp": "2024-02-29T23:59:60Z"})"},
      {kWellKnown, R"({"timestamp": "0000-12-31T23:59:59Z"})"},
      {kWellKnown, R"({"timestamp": "2024-02-29T12:34:56+24:00"})"},
      {kWellKnown, R"({"timestamp": "2024-02-29T12:34:56+00:60"})"},
      {kWellKnown, R"({"timestamp": "2024-02-29T12:34:56+0100"})"},
      {kWellKnown, R"({"timestamp": "2024-02-29t12:34:56z"})"},
      {kWellKnown, R"({"timestamp": "2024-02-29 12:34:56Z"})"},
      {kWellKnown, R"({"timestamp": "2024-02-29T12:34:56.Z"})"},
      {kWellKnown, R"({"timestamp": "10000-01-01T00:00:00Z"})"},
      {kWellKnown, R"({"timestamp": 0})"},
      {kWellKnown, R"({"duration": "1"})"},
      {kWellKnown, R"({"duration": "1S"})"},
      {kWellKnown, R"({"duration": "315576000001s"})"},
      {kWellKnown, R"({"duration": "-315576000001s"})"},
      {kWellKnown, R"({"duration": "1.0000000001s"})"},
      {kWellKnown, R"({"duration": ".5s"})"},
      {kWellKnown, R"({"duration": "1e3s"})"},
      {kWellKnown, R"({"duration": "--1s"})"},
      {kWellKnown, R"({"duration": 1})"},
      {kWellKnown, R"({"int32Value": "x"})"},
      {kWellKnown, R"({"int32Values": 1.5})"},
      {kRepeateds, R"({"rInt32": [1, "x"]})"},
      {kRepeateds, R"({"rInt32": [1}})"},
      {kRepeateds, R"({"rString": [1]})"},
  };
  return *cases;
}

TEST(JsonParserRefusesTest, EveryInputProtobufRefuses) {
  for (const Case& c : Refused()) {
    ASSERT_FALSE(ProtobufAccepts(c.prototype, c.json)) << "table: " << c.json;
    std::string out;
    absl::Status status = ParserOf(c.prototype)->Parse(c.json, &out);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.json;
  }
}

// Input protobuf accepts and JsonParser leaves to it (the caller then asks
// protobuf): JSON extensions, lenient forms, duplicates.
// Long: a table, one input a line.
const std::vector<Case>& LeftToProtobuf() {
  static const auto* cases = new std::vector<Case>{
      {kScalars, R"({fInt32: 1})"},
      {kScalars, R"({'fInt32': 1})"},
      {kScalars, R"({"fString": 'x'})"},
      {kScalars, R"({"fInt32": 1,})"},
      {kScalars, R"({"fInt32": 1, "fInt32": 2})"},
      {kScalars, R"({"fInt32": 1, "f_int32": 2})"},
      {kScalars, R"({"fString": "\x41\a\'"})"},
      {kScalars, "{\"fString\": \"a\tb\"}"},
      {kScalars, "{\"fInt32\":\f1}"},
      {kScalars, R"({"fInt32": 1.})"},
      {kScalars, R"({"fBool": "t"})"},
      {kScalars, R"({"fBool": "TRUE"})"},
      {kScalars, R"({"fColor": "1"})"},
      {kScalars, R"({"fDouble": "0x10"})"},
      {kScalars, R"({"fDouble": ".5"})"},
      {kScalars, R"({"fDouble": "+5"})"},
      {kRepeateds, R"({"rInt32": 1})"},
      {kRepeateds, R"({"rInt32": [1, null]})"},
      {kRepeateds, R"({"rInt32": [1,]})"},
      {kRepeateds, R"({"rInt32": [[1]]})"},
      {kWellKnown, R"({"int32Value": {"value": 5}})"},
      {kWellKnown, R"({"timestamp": {"seconds": 5}})"},
      {kWellKnown, R"({"timestamp": "2024-1-01T00:00:00Z"})"},
      {kWellKnown, R"({"timestamp": "2024-02-29T12:34:56.1234567891Z"})"},
      {kWellKnown, R"({"timestamp": "2024-02-29T12:34:56+1:00"})"},
      {kWellKnown, R"({"duration": "+1s"})"},
      {kWellKnown, R"({"duration": "1.s"})"},
      {kWellKnown, R"({"duration": " 1s"})"},
      {kWellKnown, R"({"int32Values": [1, null]})"},
      {kMaps, R"({"stringString": {"a": null}})"},
      {kMaps, R"({"boolColor": {"t": "RED"}})"},
      {kMaps, R"({"boolColor": {"True": "RED"}})"},
      {kChoice, R"({"text": null, "number": 1})"},
      {kUnordered, R"({"second": {"id": 1}, "second": {"name": "x"}})"},
  };
  return *cases;
}

TEST(JsonParserRefusesTest, LenientFormsAreLeftToProtobuf) {
  for (const Case& c : LeftToProtobuf()) {
    ASSERT_TRUE(ProtobufAccepts(c.prototype, c.json)) << "table: " << c.json;
    std::string out;
    EXPECT_EQ(ParserOf(c.prototype)->Parse(c.json, &out).code(),
              absl::StatusCode::kInvalidArgument)
        << c.json;
  }
}

std::string NestedTrees(int depth) {
  std::string json;
  for (int i = 0; i < depth; ++i) json += R"({"left": )";
  json += "{}";
  for (int i = 0; i < depth; ++i) json += "}";
  return json;
}

TEST(JsonParserRefusesTest, NestingDeeperThanSixtyFour) {
  const Message& tree = pb::Tree::default_instance();
  auto parser = ParserOf(tree);
  auto shallow = CheckAgainstProtobuf(*parser, tree, NestedTrees(60));
  EXPECT_TRUE(shallow.accepted);
  EXPECT_EQ(shallow.disagreement, "");
  std::string out;
  EXPECT_FALSE(parser->Parse(NestedTrees(64), &out).ok());
  ASSERT_FALSE(ProtobufAccepts(tree, NestedTrees(100)));
  EXPECT_FALSE(parser->Parse(NestedTrees(100), &out).ok());
  EXPECT_FALSE(parser->Parse(NestedTrees(100000), &out).ok());
}

TEST(JsonParserTest, AppendsToOut) {
  auto parser = ParserOf(kScalars);
  std::string out = "abc";
  ASSERT_TRUE(parser->Parse(R"({"fInt32": 150})", &out).ok());
  EXPECT_EQ(out, std::string("abc\x18\x96\x01", 6));
}

TEST(JsonParserTest, LongNestedMessagesGetMultiByteLengths) {
  auto parser = ParserOf(kRecord);
  std::string name(300, 'n');
  std::string json = absl::StrCat(R"({"tree": {"left": {"label": ")", name,
                                  R"("}}, "repeateds": {"rInt32": [)");
  for (int i = 0; i < 200; ++i) absl::StrAppend(&json, i == 0 ? "" : ",", -i);
  json += "]}}";
  auto result = CheckAgainstProtobuf(*parser, kRecord, json);
  EXPECT_TRUE(result.accepted);
  EXPECT_EQ(result.disagreement, "");
}

// Random edits of valid lines: whenever JsonParser accepts, protobuf agrees.
std::string Mutate(std::string json, std::mt19937* rng) {
  static const char kInteresting[] = "\"{}[],:0123456789.eE-+\\ntfu \x80\xc3";
  int edits = 1 + static_cast<int>((*rng)() % 3);
  for (int e = 0; e < edits && !json.empty(); ++e) {
    size_t at = (*rng)() % json.size();
    char c = (*rng)() % 2 ? kInteresting[(*rng)() % (sizeof kInteresting - 1)]
                          : static_cast<char>((*rng)());
    switch ((*rng)() % 4) {
      case 0:
        json[at] = c;
        break;
      case 1:
        json.insert(json.begin() + at, c);
        break;
      case 2:
        json.erase(at, 1 + (*rng)() % 3);
        break;
      default:
        json.insert(at, json.substr(at, (*rng)() % 8));
        break;
    }
  }
  return json;
}

TEST(JsonParserMutationTest, AcceptedMutationsAgreeWithProtobuf) {
  const Message* types[] = {&kScalars,   &kRepeateds, &kMaps,
                            &kWellKnown, &kChoice,    &kRecord};
  std::mt19937 rng(7);
  int accepted = 0, total = 0;
  for (const Message* type : types) {
    auto parser = ParserOf(*type);
    for (int i = 0; i < 100; ++i) {
      std::unique_ptr<Message> message(type->New());
      FillRandom(&rng, 2, message.get());
      std::string json;
      ASSERT_TRUE(
          google::protobuf::util::MessageToJsonString(*message, &json).ok());
      for (int m = 0; m < 10; ++m) {
        std::string mutated = Mutate(json, &rng);
        auto result = CheckAgainstProtobuf(*parser, *type, mutated);
        ASSERT_EQ(result.disagreement, "") << mutated;
        accepted += result.accepted;
        ++total;
      }
    }
  }
  // The edits reach accepted input too (inside strings and numbers).
  EXPECT_GT(accepted, total / 20) << accepted << " of " << total;
}

}  // namespace
}  // namespace lmdbapi::json
