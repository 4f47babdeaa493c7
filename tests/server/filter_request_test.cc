// filter_request: a Filter request's typed fields read through reflection
// and off the bytes it was parsed from (what the raw Filter method does) give
// the same query, or the same error, whatever the bytes' shape.
#include "server/table/filter_request.h"

#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "proto/examples/permits.pb.h"
#include "proto/examples/permits_service.pb.h"

namespace lmdbapi::server {
namespace {

using examples::permits::FilterPermitsRequest;
using examples::permits::Permit;

// The predicates of `query` as one line: "county = NY; status = 2".
std::string Predicates(const storage::Query& query) {
  std::string out;
  for (const storage::Predicate& p : query.predicates) {
    if (!out.empty()) out += "; ";
    out += p.field + " " + std::to_string(static_cast<int>(p.op)) + " ";
    if (const auto* s = std::get_if<std::string>(&p.value)) out += *s;
    if (const auto* n = std::get_if<int64_t>(&p.value)) {
      out += std::to_string(*n);
    }
  }
  return out;
}

// Both readings of the request `wire` parses to; they must agree.
std::string BothReadings(const std::string& wire) {
  FilterPermitsRequest request;
  EXPECT_TRUE(request.ParseFromString(wire));
  absl::StatusOr<storage::Query> by_reflection =
      QueryFromRequest(request, Permit::descriptor());
  absl::StatusOr<storage::Query> by_tags =
      QueryFromRequest(request, wire, Permit::descriptor());
  EXPECT_TRUE(by_reflection.ok()) << by_reflection.status();
  EXPECT_TRUE(by_tags.ok()) << by_tags.status();
  if (!by_reflection.ok() || !by_tags.ok()) return "";
  EXPECT_EQ(Predicates(*by_reflection), Predicates(*by_tags));
  EXPECT_EQ(by_reflection->page_size, by_tags->page_size);
  EXPECT_EQ(by_reflection->filter, by_tags->filter);
  return Predicates(*by_tags);
}

TEST(FilterRequestTest, TypedFieldsComeInFieldNumberOrderWhateverTheWireOrder) {
  FilterPermitsRequest status_first;
  status_first.set_status(examples::permits::PermitStatus(2));
  FilterPermitsRequest county;
  county.mutable_county()->set_value("NY");
  county.set_page_size(5);
  county.set_filter("fee_cents > 3");
  // status (34) on the wire before county (28).
  std::string wire =
      status_first.SerializeAsString() + county.SerializeAsString();
  EXPECT_EQ(BothReadings(wire), "county 0 NY; status 0 2");
}

TEST(FilterRequestTest, AFieldSentTwiceIsOneConstraintWithTheLastValue) {
  FilterPermitsRequest first, second;
  first.mutable_client()->set_value("Acme");
  second.mutable_client()->set_value("Zeta");
  EXPECT_EQ(
      BothReadings(first.SerializeAsString() + second.SerializeAsString()),
      "client 0 Zeta");
}

TEST(FilterRequestTest, AnEnumSentAsZeroAndAnUnknownFieldConstrainNothing) {
  // status = 0 written out (tag 34 << 3 | varint, value 0), then an unknown
  // field 999 (a varint), then a set county.
  std::string wire;
  wire += static_cast<char>(0x90);  // (34 << 3) | 0 = 272: 0x90 0x02
  wire += static_cast<char>(0x02);
  wire += static_cast<char>(0x00);
  wire += static_cast<char>(0xB8);  // (999 << 3) | 0 = 7992: 0xB8 0x3E
  wire += static_cast<char>(0x3E);
  wire += static_cast<char>(0x07);
  FilterPermitsRequest county;
  county.mutable_county()->set_value("NY");
  wire += county.SerializeAsString();
  EXPECT_EQ(BothReadings(wire), "county 0 NY");
}

TEST(FilterRequestTest, NoTypedFieldNoPredicate) {
  FilterPermitsRequest request;
  request.set_page_size(3);
  request.set_order_by("issued desc");
  EXPECT_EQ(BothReadings(request.SerializeAsString()), "");
}

// Both readings' full results, which must be equal: status, page fields,
// and every predicate's field, operator and value.
void ExpectSameQuery(const std::string& wire) {
  FilterPermitsRequest request;
  if (!request.ParseFromString(wire)) return;  // a raw method refuses it
  absl::StatusOr<storage::Query> by_reflection =
      QueryFromRequest(request, Permit::descriptor());
  absl::StatusOr<storage::Query> by_wire =
      QueryFromRequest(request, wire, Permit::descriptor());
  ASSERT_EQ(by_reflection.status(), by_wire.status());
  if (!by_wire.ok()) return;
  EXPECT_EQ(by_reflection->page_size, by_wire->page_size);
  EXPECT_EQ(by_reflection->page_token, by_wire->page_token);
  EXPECT_EQ(by_reflection->filter, by_wire->filter);
  EXPECT_EQ(by_reflection->order_by, by_wire->order_by);
  ASSERT_EQ(by_reflection->predicates.size(), by_wire->predicates.size());
  for (size_t i = 0; i < by_wire->predicates.size(); ++i) {
    const storage::Predicate& a = by_reflection->predicates[i];
    const storage::Predicate& b = by_wire->predicates[i];
    EXPECT_EQ(a.field, b.field);
    EXPECT_EQ(a.op, b.op);
    EXPECT_TRUE(a.value == b.value) << a.field;
  }
}

std::string Varint(uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
  return out;
}
std::string Tag(int number, int wire_type) {
  return Varint((static_cast<uint64_t>(number) << 3) | wire_type);
}
std::string Delimited(int number, const std::string& bytes) {
  return Tag(number, 2) + Varint(bytes.size()) + bytes;
}

// One random top-level field of a Filter request, well formed or not in the
// ways a parse tolerates: wrappers and Timestamps with unknown or repeated
// inner fields, scalars of the wrong wire type, fields sent twice (the
// caller repeats pieces), unknown fields.
std::string RandomPiece(std::mt19937& rng) {
  auto pick = [&](int n) { return static_cast<int>(rng() % n); };
  const int strings[] = {19, 22, 25, 28, 31, 43};  // StringValue fields
  const int times[] = {37, 38, 39, 40, 41, 42};    // Timestamp fields
  const int fees[] = {46, 47, 48};                 // Int64Value fields
  const char* texts[] = {"", "NY", "Acme", "a\"b"};
  switch (pick(12)) {
    case 0:
      return Delimited(strings[pick(6)],
                       pick(4) ? Delimited(1, texts[pick(4)]) : "");
    case 1:  // a wrapper with an unknown field, or its value sent twice
      return Delimited(strings[pick(6)],
                       Delimited(1, "x") + (pick(2) ? Tag(7, 0) + Varint(1)
                                                    : Delimited(1, "y")));
    case 2:  // status: unset, named, unnamed, negative
      return Tag(34, 0) + Varint(std::vector<uint64_t>{0, 1, 2, 3, 99,
                                                       ~uint64_t{0}}[pick(6)]);
    case 3:  // status with the wrong wire type
      return Delimited(34, "\x01");
    case 4: {  // a Timestamp: valid, out of range, nanos only, unknown field
      std::string body;
      if (pick(4)) body += Tag(1, 0) + Varint(pick(2) ? 1700000000 : ~0ull);
      if (pick(2)) body += Tag(2, 0) + Varint(pick(3) ? 5 : 2000000000);
      if (pick(6) == 0) body += Tag(9, 0) + Varint(3);
      if (pick(8) == 0) body += Delimited(1, "z");  // seconds, wrong type
      return Delimited(times[pick(6)], body);
    }
    case 5:  // an Int64Value, negative or not, or of the wrong wire type
      return Delimited(fees[pick(3)],
                       pick(5) ? Tag(1, 0) + Varint(pick(2) ? 42 : ~0ull - 6)
                               : Tag(1, 1) + std::string(8, '\x02'));
    case 6:  // a message field sent as a varint (kept unknown by a parse)
      return Tag(strings[pick(6)], 0) + Varint(1);
    case 7:
      return Tag(1, 0) + Varint(pick(2) ? 7 : ~0ull);  // page_size
    case 8:
      return Delimited(3, pick(2) ? "fee_cents > 3" : "");  // filter
    case 9:
      return Delimited(pick(2) ? 2 : 4, pick(2) ? "issued desc" : "");
    case 10:
      return Tag(999, 0) + Varint(5);  // unknown
    default:
      return Tag(500, 5) + std::string(4, '\x01');  // unknown fixed32
  }
}

TEST(FilterRequestTest, RandomRequestsReadTheSameOffTheWireAsByReflection) {
  std::mt19937 rng(20261203);
  for (int i = 0; i < 20000; ++i) {
    std::vector<std::string> pieces;
    const int n = 1 + static_cast<int>(rng() % 5);
    for (int j = 0; j < n; ++j) {
      // Now and then a piece again: a field sent twice.
      pieces.push_back(j > 0 && rng() % 4 == 0 ? pieces[rng() % j]
                                               : RandomPiece(rng));
    }
    std::string wire;
    for (const std::string& piece : pieces) wire += piece;
    ExpectSameQuery(wire);
    if (HasFatalFailure()) {
      ADD_FAILURE() << "request " << i;
      return;
    }
  }
}

TEST(FilterRequestTest, ACountRequestIgnoresTheListFieldsItLacks) {
  // Count has filter (3) but no page_size (1), page_token (2), order_by (4):
  // sent, they are unknown fields, read neither way.
  const std::string wire = Tag(1, 0) + Varint(7) + Delimited(2, "t") +
                           Delimited(3, "fee_cents > 3") +
                           Delimited(4, "issued desc");
  examples::permits::CountPermitsRequest request;
  ASSERT_TRUE(request.ParseFromString(wire));
  absl::StatusOr<storage::Query> query =
      QueryFromRequest(request, wire, Permit::descriptor());
  ASSERT_TRUE(query.ok()) << query.status();
  EXPECT_EQ(query->page_size, 0);
  EXPECT_EQ(query->page_token, "");
  EXPECT_EQ(query->filter, "fee_cents > 3");
  EXPECT_EQ(query->order_by, "");
}

TEST(FilterRequestTest, AnInvalidTimestampOrEnumOffTheWireIsTheSameError) {
  std::string bad_nanos =
      Delimited(37, Tag(1, 0) + Varint(5) + Tag(2, 0) + Varint(2000000000));
  FilterPermitsRequest request;
  ASSERT_TRUE(request.ParseFromString(bad_nanos));
  absl::StatusOr<storage::Query> query =
      QueryFromRequest(request, bad_nanos, Permit::descriptor());
  EXPECT_EQ(query.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(query.status().message().find("field 'issued'"), std::string::npos);
  std::string bad_status = Tag(34, 0) + Varint(99);
  ASSERT_TRUE(request.ParseFromString(bad_status));
  query = QueryFromRequest(request, bad_status, Permit::descriptor());
  EXPECT_EQ(query.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(query.status().message().find("99 is not a value"),
            std::string::npos);
}

}  // namespace
}  // namespace lmdbapi::server
