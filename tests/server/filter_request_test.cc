// filter_request: a Filter request's typed fields read through reflection
// and through a scan of the tags of the bytes it was parsed from (what the
// raw Filter method does) give the same query.
#include "server/table/filter_request.h"

#include <string>

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

}  // namespace
}  // namespace lmdbapi::server
