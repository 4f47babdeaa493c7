// read_mask: which paths a record type accepts, and what trimming keeps.
#include "server/table/read_mask.h"

#include "gtest/gtest.h"
#include "tests/storage/test_records.pb.h"

namespace lmdbapi::server {
namespace {

using test::Customer;

Customer Full() {
  Customer c;
  c.set_uuid("u1");
  c.set_name("Ada");
  c.add_tags("vip");
  c.mutable_address()->set_city("Oslo");
  c.mutable_address()->set_street("Main");
  c.set_points(7);
  c.mutable_joined()->set_seconds(1700000000);
  c.set_page_size(3);
  return c;
}

TEST(ReadMaskTest, KeepsOnlyTheListedFieldsAndNestedPaths) {
  absl::StatusOr<google::protobuf::FieldMask> mask =
      ReadMask(Customer::descriptor(), {"uuid", "address.city", "tags"});
  ASSERT_TRUE(mask.ok()) << mask.status();
  Customer c = Full();
  ApplyReadMask(*mask, &c);
  Customer want;
  want.set_uuid("u1");
  want.add_tags("vip");
  want.mutable_address()->set_city("Oslo");
  EXPECT_EQ(c.SerializeAsString(), want.SerializeAsString()) << c.DebugString();
}

TEST(ReadMaskTest, AnEmptyMaskKeepsEveryField) {
  absl::StatusOr<google::protobuf::FieldMask> mask =
      ReadMask(Customer::descriptor(), {});
  ASSERT_TRUE(mask.ok());
  Customer c = Full();
  ApplyReadMask(*mask, &c);
  EXPECT_EQ(c.SerializeAsString(), Full().SerializeAsString());
}

TEST(ReadMaskTest, APathTheRecordLacksIsInvalidArgumentNamingReadMask) {
  for (const char* path :
       {"nope", "address.zip", "name.first", "", "joined.nanos.x"}) {
    absl::StatusOr<google::protobuf::FieldMask> mask =
        ReadMask(Customer::descriptor(), {"uuid", path});
    ASSERT_FALSE(mask.ok()) << path;
    EXPECT_EQ(mask.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(
        mask.status().message().find("read_mask: '" + std::string(path) + "'"),
        std::string::npos)
        << mask.status();
  }
  // A record field named like a request field is a field like any other.
  EXPECT_TRUE(ReadMask(Customer::descriptor(), {"page_size", "filter"}).ok());
}

}  // namespace
}  // namespace lmdbapi::server
