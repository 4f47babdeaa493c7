// The fan-out router's page on the wire: a shard's page read without parsing
// its records, the merged page written from the shards' bytes, and a record
// trimmed by a read_mask parsed whole or refused.
#include "server/router/page_wire.h"

#include "gtest/gtest.h"
#include "tests/storage/test_records.pb.h"
#include "tests/storage/test_tables.h"

namespace lmdbapi::server {
namespace {

class PageWireTest : public ::testing::Test {
 protected:
  PageWireTest() {
    auto tables = storage::ResolveSchema(testing::PermitTables());
    EXPECT_TRUE(tables.ok()) << tables.status();
    tables_ = std::move(*tables);
    auto order = RecordOrder::For(tables_[0], nullptr, "");
    EXPECT_TRUE(order.ok()) << order.status();
    order_ = std::move(*order);
  }

  static std::string PermitBytes(const std::string& uuid) {
    test::Permit permit;
    permit.set_uuid(uuid);
    permit.set_county("Travis");
    permit.set_fee_cents(1200);
    return permit.SerializeAsString();
  }

  std::vector<storage::TableSchema> tables_;
  RecordOrder order_;
};

TEST_F(PageWireTest, AWrittenPageReadsBackAsTheSameRecordsAndToken) {
  MergedPage merged{{PermitBytes("a"), PermitBytes("b")}, "next"};
  auto bytes = SerializePage(order_, {}, merged, "a plan");
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  auto page = ParseShardPage(*bytes);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->records, merged.records);
  EXPECT_EQ(page->next_token, "next");
}

TEST_F(PageWireTest, AReadMaskKeepsOnlyItsFields) {
  google::protobuf::FieldMask mask;
  mask.add_paths("uuid");
  auto bytes = SerializePage(order_, mask, {{PermitBytes("a")}, ""}, "");
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  auto page = ParseShardPage(*bytes);
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->records.size(), 1u);
  test::Permit permit;
  ASSERT_TRUE(permit.ParseFromString(page->records[0]));
  EXPECT_EQ(permit.uuid(), "a");
  EXPECT_EQ(permit.county(), "");
  EXPECT_EQ(permit.fee_cents(), 0);
}

TEST_F(PageWireTest, ARecordToTrimThatDoesNotParseIsAnInternalError) {
  google::protobuf::FieldMask mask;
  mask.add_paths("uuid");
  // The uuid parses; the field after it claims more bytes than there are.
  std::string bad = PermitBytes("a") + "\x22\x7f";
  auto bytes = SerializePage(order_, mask, {{bad}, ""}, "");
  EXPECT_EQ(bytes.status().code(), absl::StatusCode::kInternal);
  EXPECT_NE(bytes.status().message().find("Permit did not parse"),
            std::string::npos)
      << bytes.status();
}

TEST_F(PageWireTest, AMalformedShardPageIsAnInternalError) {
  auto page = ParseShardPage("\x0a\x7f");  // a record longer than the page
  EXPECT_EQ(page.status().code(), absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace lmdbapi::server
