// The details a refused call's gRPC status carries: the field a message names
// (google.rpc.BadRequest) and the reason (google.rpc.ErrorInfo).
#include "server/table/error_details.h"

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "proto/lmdbapi/error_info.pb.h"
#include "server/table/grpc_status.h"
#include "storage/status.h"

namespace lmdbapi::server {
namespace {

TEST(FieldOf, NamesTheQuotedField) {
  EXPECT_EQ(FieldOf("field 'fee_cents': not a number"), "fee_cents");
}

TEST(FieldOf, JoinsTheRequestPathsInFront) {
  EXPECT_EQ(FieldOf("writes[2]: field 'order_id': empty"),
            "writes[2].order_id");
  EXPECT_EQ(FieldOf("expected_revision: Permit 'p' is at revision 3, not 2"),
            "expected_revision");
}

TEST(FieldOf, NamesAFieldAfterAPositionThatIsNoPath) {
  EXPECT_EQ(FieldOf("record 5: field 'client': not UTF-8"), "client");
  EXPECT_EQ(FieldOf("writes[1]: record 2: field 'a': bad"), "a");
}

TEST(FieldOf, IsEmptyWhenNoFieldIsNamed) {
  EXPECT_EQ(FieldOf("no Permit with uuid 'x'"), "");
  EXPECT_EQ(FieldOf("put permits: MDB_MAP_FULL"), "");
  EXPECT_EQ(FieldOf("x-shard-key: required"), "");
  EXPECT_EQ(FieldOf("field '': odd"), "");
}

TEST(ReasonFor, PrefersTheReasonSetWhereTheErrorWasMade) {
  absl::Status full = storage::WithReason(
      absl::ResourceExhaustedError("disk full"), storage::kDiskFullReason);
  EXPECT_EQ(ReasonFor(full), "DISK_FULL");
  EXPECT_EQ(ReasonFor(storage::At("writes[1]", full)), "DISK_FULL");
}

TEST(ReasonFor, FallsBackToOneByCode) {
  EXPECT_EQ(ReasonFor(absl::InvalidArgumentError("field 'a': bad")),
            "INVALID_FIELD");
  EXPECT_EQ(ReasonFor(absl::InvalidArgumentError("bad")), "INVALID_ARGUMENT");
  EXPECT_EQ(ReasonFor(absl::AbortedError("x")), "REVISION_MISMATCH");
  EXPECT_EQ(ReasonFor(absl::AlreadyExistsError("x")), "ALREADY_EXISTS");
  EXPECT_EQ(ReasonFor(absl::UnknownError("x")), "INTERNAL");
}

TEST(ToGrpcStatus, CarriesErrorInfoAndBadRequestInTheDetails) {
  grpc::Status status = ToGrpcStatus(
      absl::InvalidArgumentError("field 'status': 99 is no value"));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  google::rpc::Status rpc;
  ASSERT_TRUE(rpc.ParseFromString(status.error_details()));
  EXPECT_EQ(rpc.code(), 3);
  EXPECT_EQ(rpc.message(), "field 'status': 99 is no value");
  ASSERT_EQ(rpc.details_size(), 2);
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(rpc.details(0).UnpackTo(&info));
  EXPECT_EQ(info.reason(), "INVALID_FIELD");
  EXPECT_EQ(info.domain(), "lmdbapi");
  google::rpc::BadRequest bad;
  ASSERT_TRUE(rpc.details(1).UnpackTo(&bad));
  ASSERT_EQ(bad.field_violations_size(), 1);
  EXPECT_EQ(bad.field_violations(0).field(), "status");
  EXPECT_EQ(bad.field_violations(0).description(), rpc.message());
}

TEST(ToGrpcStatus, OmitsBadRequestWhenNoFieldIsNamed) {
  grpc::Status status = ToGrpcStatus(absl::NotFoundError("no Permit 'x'"));
  google::rpc::Status rpc;
  ASSERT_TRUE(rpc.ParseFromString(status.error_details()));
  EXPECT_EQ(rpc.details_size(), 1);
}

}  // namespace
}  // namespace lmdbapi::server
