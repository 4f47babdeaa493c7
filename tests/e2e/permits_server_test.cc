// Every RPC of the example schema against the real server binary, through
// the C++ stubs generated from the emitted service .proto, including each
// error a client can get.
#include <future>
#include <thread>

#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"
#include "proto/examples/permits_service.grpc.pb.h"
#include "tests/e2e/server_process.h"
#include "tests/storage/test_tables.h"

namespace lmdbapi::examples::permits {
namespace {

using lmdbapi::testing::ServerProcess;

std::string ServerBinary() {
  return lmdbapi::testing::BinaryPath("LMDBAPI_PERMITS_SERVER",
                                      "build/proto/permits-server");
}

Permit MakePermit(const std::string& client, const std::string& county,
                  PermitStatus status, int64_t issued = 1700000000) {
  Permit p;
  p.set_client(client);
  p.set_county(county);
  p.set_county_status("Active");
  p.set_status(status);
  p.mutable_issued()->set_seconds(issued);
  return p;
}

class PermitsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ =
        std::make_unique<ServerProcess>(ServerBinary(), dir_.path() + "/data");
    ASSERT_TRUE(server_->Start()) << server_->error();
    Connect();
  }
  void Connect() {
    auto channel = server_->Channel();
    permits_ = Permits::NewStub(channel);
    inspections_ = InspectionReports::NewStub(channel);
    statuses_ = ProcessingStatuses::NewStub(channel);
  }
  void TearDown() override {
    // Clients hang up first, as they would; the server then drains at once.
    permits_.reset();
    inspections_.reset();
    statuses_.reset();
    if (server_ != nullptr) EXPECT_EQ(server_->Stop(), 0) << server_->error();
  }
  std::unique_ptr<grpc::ClientContext> Ctx() {
    auto c = std::make_unique<grpc::ClientContext>();
    c->set_deadline(std::chrono::system_clock::now() +
                    std::chrono::seconds(10));
    return c;
  }
  Permit Insert(const Permit& p) {
    InsertPermitRequest req;
    *req.mutable_permit() = p;
    Permit out;
    grpc::Status s = permits_->Insert(Ctx().get(), req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  // The stored record, as Get answers it (failing the test when absent).
  Permit Get(const std::string& uuid) {
    GetPermitRequest get;
    get.set_uuid(uuid);
    Permit got;
    grpc::Status s = permits_->Get(Ctx().get(), get, &got);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return got;
  }

  lmdbapi::testing::TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<Permits::Stub> permits_;
  std::unique_ptr<InspectionReports::Stub> inspections_;
  std::unique_ptr<ProcessingStatuses::Stub> statuses_;
};

TEST_F(PermitsServerTest,
       InsertReturnsTheRecordWithAGeneratedUuidAndGetFindsIt) {
  // The client's version fields are the server's to set: ignored.
  Permit sent = MakePermit("Acme", "NY", PENDING);
  sent.set_revision(99);
  sent.mutable_create_time()->set_nanos(7);
  Permit stored = Insert(sent);
  EXPECT_EQ(stored.uuid().size(), 36u);
  EXPECT_EQ(stored.client(), "Acme");
  EXPECT_EQ(stored.revision(), 1);
  EXPECT_GT(stored.create_time().seconds(), 1700000000);
  EXPECT_EQ(stored.update_time().SerializeAsString(),
            stored.create_time().SerializeAsString());
  EXPECT_EQ(Get(stored.uuid()).SerializeAsString(), stored.SerializeAsString());
}

// An Insert whose record bytes are canonical is stored as they came, any
// other is parsed: the two must store and answer the same record.
TEST_F(PermitsServerTest,
       AnInsertStoresTheSameRecordWhateverOrderItsFieldsCame) {
  grpc::GenericStub stub(server_->Channel());
  auto insert = [&](const std::string& record, std::string* answer) {
    EXPECT_LT(record.size(), 128u);  // its length in one byte
    std::string request = "\x0a";    // InsertPermitRequest.permit, then length
    request.push_back(static_cast<char>(record.size()));
    request += record;
    grpc::Slice slice(request);
    grpc::ByteBuffer sent(&slice, 1), got;
    std::promise<grpc::Status> done;
    auto context = Ctx();
    stub.UnaryCall(context.get(), "/lmdbapi.examples.permits.Permits/Insert",
                   grpc::StubOptions(), &sent, &got,
                   [&done](grpc::Status s) { done.set_value(std::move(s)); });
    grpc::Status status = done.get_future().get();
    std::vector<grpc::Slice> slices;
    answer->clear();
    if (status.ok() && got.Dump(&slices).ok()) {
      for (const grpc::Slice& s : slices) answer->append(s.begin(), s.end());
    }
    return status;
  };
  Permit head = MakePermit("Acme", "NY", PENDING);
  head.set_permit_number("P-1");
  Permit tail;
  tail.set_client("Acme");  // field 3 after field 7 (issued): not canonical
  head.clear_client();
  const std::string out_of_order =
      head.SerializeAsString() + tail.SerializeAsString();
  Permit whole;
  ASSERT_TRUE(whole.ParseFromString(out_of_order));
  ASSERT_NE(whole.SerializeAsString(), out_of_order);
  std::string answered;
  ASSERT_TRUE(insert(out_of_order, &answered).ok());
  Permit parsed;
  ASSERT_TRUE(parsed.ParseFromString(answered));
  EXPECT_EQ(parsed.client(), "Acme");
  EXPECT_EQ(parsed.uuid().size(), 36u);
  // The same record again, canonical, with its own number and a given key.
  whole.set_permit_number("P-2");
  whole.set_uuid("0190a5c4-0000-7000-8000-000000000001");
  ASSERT_TRUE(insert(whole.SerializeAsString(), &answered).ok());
  Permit canonical;
  ASSERT_TRUE(canonical.ParseFromString(answered));
  EXPECT_EQ(canonical.uuid(), whole.uuid());
  EXPECT_EQ(canonical.revision(), parsed.revision() + 1);
  EXPECT_EQ(Get(canonical.uuid()).SerializeAsString(), answered);
  EXPECT_EQ(Get(parsed.uuid()).SerializeAsString(), parsed.SerializeAsString());
  // Both differ only in what the server set and what the test changed.
  for (Permit* p : {&parsed, &canonical}) {
    p->clear_uuid();
    p->clear_permit_number();
    p->clear_revision();
    p->clear_create_time();
    p->clear_update_time();
  }
  EXPECT_EQ(parsed.SerializeAsString(), canonical.SerializeAsString());
  // A canonical record whose key is taken: ALREADY_EXISTS, nothing stored.
  whole.set_permit_number("P-3");
  grpc::Status again = insert(whole.SerializeAsString(), &answered);
  EXPECT_EQ(again.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  FilterPermitsRequest all;
  PermitPage page;
  ASSERT_TRUE(permits_->Filter(Ctx().get(), all, &page).ok());
  EXPECT_EQ(page.permits_size(), 2);
}

TEST_F(PermitsServerTest, AWriteWithoutItsRecordIsRefusedNamingTheField) {
  Permit out;
  grpc::Status s = permits_->Insert(Ctx().get(), InsertPermitRequest(), &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(),
            "permit: required: the Permit to insert (the request has none)");
  UpdatePermitRequest update;
  update.set_expected_revision(3);
  s = permits_->Update(Ctx().get(), update, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(),
            "permit: required: the Permit to update (the request has none)");
  // An empty record is one sent: it is checked as a record, not as none.
  InsertPermitRequest empty;
  empty.mutable_permit();
  s = permits_->Insert(Ctx().get(), empty, &out);
  EXPECT_EQ(s.error_message().find("the request has none"), std::string::npos)
      << s.error_message();
  FilterPermitsRequest all;
  PermitPage page;
  ASSERT_TRUE(permits_->Filter(Ctx().get(), all, &page).ok());
  EXPECT_EQ(page.permits_size(), s.ok() ? 1 : 0);
}

TEST_F(PermitsServerTest, ErrorsCarryTheRightCodeAndNameTheField) {
  Permit stored = Insert(MakePermit("Acme", "NY", PENDING));
  Permit out;
  // Duplicate key.
  InsertPermitRequest dup;
  *dup.mutable_permit() = stored;
  grpc::Status s = permits_->Insert(Ctx().get(), dup, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_NE(s.error_message().find("uuid"), std::string::npos)
      << s.error_message();
  // Missing record.
  GetPermitRequest get;
  get.set_uuid("00000000-0000-7000-8000-000000000000");
  EXPECT_EQ(permits_->Get(Ctx().get(), get, &out).error_code(),
            grpc::StatusCode::NOT_FOUND);
  // Empty key.
  get.set_uuid("");
  s = permits_->Get(Ctx().get(), get, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("'uuid'"), std::string::npos)
      << s.error_message();
  // Update and delete of a missing record.
  UpdatePermitRequest update;
  *update.mutable_permit() = MakePermit("X", "Y", PENDING);
  update.mutable_permit()->set_uuid("nope");
  EXPECT_EQ(permits_->Update(Ctx().get(), update, &out).error_code(),
            grpc::StatusCode::NOT_FOUND);
  DeletePermitRequest del;
  del.set_uuid("nope");
  DeletePermitResponse deleted;
  EXPECT_EQ(permits_->Delete(Ctx().get(), del, &deleted).error_code(),
            grpc::StatusCode::NOT_FOUND);
  // Unique index clash.
  Permit a = MakePermit("A", "NY", PENDING);
  a.set_permit_number("P-1");
  Insert(a);
  InsertPermitRequest clash;
  *clash.mutable_permit() = MakePermit("B", "NY", PENDING);
  clash.mutable_permit()->set_permit_number("P-1");
  s = permits_->Insert(Ctx().get(), clash, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_NE(s.error_message().find("permit_number"), std::string::npos)
      << s.error_message();
  // Child of a missing parent.
  InsertInspectionReportRequest orphan;
  orphan.mutable_inspection_report()->set_permit_uuid("no-such-permit");
  InspectionReport report;
  s = inspections_->Insert(Ctx().get(), orphan, &report);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(s.error_message().find("permit_uuid"), std::string::npos)
      << s.error_message();
  // Bad filter inputs.
  FilterPermitsRequest filter;
  filter.set_page_size(-1);
  PermitPage page;
  s = permits_->Filter(Ctx().get(), filter, &page);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("page_size"), std::string::npos)
      << s.error_message();
  filter.set_page_size(10);
  filter.set_page_token("not-a-token");
  s = permits_->Filter(Ctx().get(), filter, &page);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("page_token"), std::string::npos)
      << s.error_message();
  filter.clear_page_token();
  filter.mutable_issued_min()->set_nanos(-5);
  s = permits_->Filter(Ctx().get(), filter, &page);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("issued_min"), std::string::npos)
      << s.error_message();
}

TEST_F(PermitsServerTest, UpdateReplacesAndDeleteRemoves) {
  Permit stored = Insert(MakePermit("Acme", "NY", PENDING));
  stored.set_status(APPROVED);
  UpdatePermitRequest update;
  *update.mutable_permit() = stored;
  Permit updated;
  ASSERT_TRUE(permits_->Update(Ctx().get(), update, &updated).ok());
  EXPECT_EQ(updated.status(), APPROVED);
  // The answer is the record as stored: the next revision, the insert's
  // create_time, and what a Get answers.
  EXPECT_EQ(updated.revision(), stored.revision() + 1);
  EXPECT_EQ(updated.create_time().SerializeAsString(),
            stored.create_time().SerializeAsString());
  EXPECT_EQ(Get(stored.uuid()).SerializeAsString(),
            updated.SerializeAsString());
  FilterPermitsRequest filter;
  filter.mutable_client()->set_value("Acme");
  filter.set_status(PENDING);
  PermitPage page;
  ASSERT_TRUE(permits_->Filter(Ctx().get(), filter, &page).ok());
  EXPECT_EQ(page.permits_size(), 0);
  filter.set_status(APPROVED);
  ASSERT_TRUE(permits_->Filter(Ctx().get(), filter, &page).ok());
  EXPECT_EQ(page.permits_size(), 1);

  DeletePermitRequest del;
  del.set_uuid(stored.uuid());
  DeletePermitResponse deleted;
  ASSERT_TRUE(permits_->Delete(Ctx().get(), del, &deleted).ok());
  GetPermitRequest get;
  get.set_uuid(stored.uuid());
  Permit got;
  EXPECT_EQ(permits_->Get(Ctx().get(), get, &got).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(PermitsServerTest, BatchInsertIsAllOrNothing) {
  BatchInsertPermitsRequest batch;
  for (int i = 0; i < 5; ++i)
    *batch.add_permits() = MakePermit("Batch", "NY", PENDING);
  BatchInsertPermitsResponse stored;
  ASSERT_TRUE(permits_->BatchInsert(Ctx().get(), batch, &stored).ok());
  ASSERT_EQ(stored.permits_size(), 5);
  for (const auto& p : stored.permits()) EXPECT_EQ(p.uuid().size(), 36u);

  BatchInsertPermitsRequest bad;
  *bad.add_permits() = MakePermit("Bad", "NY", PENDING);
  *bad.add_permits() = stored.permits(0);  // duplicate key
  grpc::Status s = permits_->BatchInsert(Ctx().get(), bad, &stored);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_NE(s.error_message().find("records[1]"), std::string::npos)
      << s.error_message();
  FilterPermitsRequest filter;
  filter.mutable_client()->set_value("Bad");
  PermitPage page;
  ASSERT_TRUE(permits_->Filter(Ctx().get(), filter, &page).ok());
  EXPECT_EQ(page.permits_size(), 0);
}

TEST_F(PermitsServerTest,
       FilterUsesTheCompositeAndDateIndexesAndPagesWithTokens) {
  for (int day = 0; day < 30; ++day) {
    Insert(MakePermit(day % 2 ? "Acme" : "Beta", day % 3 ? "NY" : "CA", PENDING,
                      1700000000 + 86400 * day));
  }
  FilterPermitsRequest filter;
  filter.mutable_client()->set_value("Acme");
  filter.mutable_county()->set_value("NY");
  PermitPage page;
  ASSERT_TRUE(permits_->Filter(Ctx().get(), filter, &page).ok());
  EXPECT_EQ(page.permits_size(), 10);
  EXPECT_EQ(page.plan(),
            "index main_composite (client = \"Acme\", county = \"NY\")");

  // Time travel: a date range, paged 4 at a time, in date order.
  FilterPermitsRequest range;
  range.mutable_issued_min()->set_seconds(1700000000 + 86400 * 10);
  range.mutable_issued_max()->set_seconds(1700000000 + 86400 * 19);
  range.set_page_size(4);
  std::vector<int64_t> seen;
  do {
    ASSERT_TRUE(permits_->Filter(Ctx().get(), range, &page).ok());
    EXPECT_EQ(page.plan().rfind("index by_issued", 0), 0u) << page.plan();
    for (const auto& p : page.permits()) seen.push_back(p.issued().seconds());
    range.set_page_token(page.next_page_token());
  } while (!page.next_page_token().empty());
  ASSERT_EQ(seen.size(), 10u);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));

  // Paginate walks everything once.
  PaginatePermitsRequest all;
  all.set_page_size(7);
  int count = 0;
  do {
    ASSERT_TRUE(permits_->Paginate(Ctx().get(), all, &page).ok());
    count += page.permits_size();
    all.set_page_token(page.next_page_token());
  } while (!page.next_page_token().empty());
  EXPECT_EQ(count, 30);
}

TEST_F(PermitsServerTest, SecondaryTablesFilterByParentAndCascadeOnDelete) {
  Permit permit = Insert(MakePermit("Acme", "NY", PENDING));
  for (int i = 0; i < 3; ++i) {
    InsertInspectionReportRequest req;
    req.mutable_inspection_report()->set_permit_uuid(permit.uuid());
    req.mutable_inspection_report()->set_inspector("Ann");
    req.mutable_inspection_report()->set_passed(i == 0);
    InspectionReport out;
    ASSERT_TRUE(inspections_->Insert(Ctx().get(), req, &out).ok());
    InsertProcessingStatusRequest st;
    st.mutable_processing_status()->set_permit_uuid(permit.uuid());
    st.mutable_processing_status()->set_stage("review");
    ProcessingStatus st_out;
    ASSERT_TRUE(statuses_->Insert(Ctx().get(), st, &st_out).ok());
  }
  FilterInspectionReportsRequest by_parent;
  by_parent.set_permit_uuid(permit.uuid());
  InspectionReportPage page;
  ASSERT_TRUE(inspections_->Filter(Ctx().get(), by_parent, &page).ok());
  EXPECT_EQ(page.inspection_reports_size(), 3);
  by_parent.mutable_passed()->set_value(true);
  ASSERT_TRUE(inspections_->Filter(Ctx().get(), by_parent, &page).ok());
  EXPECT_EQ(page.inspection_reports_size(), 1);
  GetInspectionReportRequest get;
  get.set_uuid(page.inspection_reports(0).uuid());
  InspectionReport one;
  ASSERT_TRUE(inspections_->Get(Ctx().get(), get, &one).ok());

  DeletePermitRequest del;
  del.set_uuid(permit.uuid());
  DeletePermitResponse deleted;
  ASSERT_TRUE(permits_->Delete(Ctx().get(), del, &deleted).ok());
  by_parent.clear_passed();
  ASSERT_TRUE(inspections_->Filter(Ctx().get(), by_parent, &page).ok());
  EXPECT_EQ(page.inspection_reports_size(), 0);
  FilterProcessingStatusesRequest statuses;
  ProcessingStatusPage status_page;
  ASSERT_TRUE(statuses_->Filter(Ctx().get(), statuses, &status_page).ok());
  EXPECT_EQ(status_page.processing_statuses_size(), 0);
  EXPECT_EQ(inspections_->Get(Ctx().get(), get, &one).error_code(),
            grpc::StatusCode::NOT_FOUND);

  // A child is deleted on its own too; its parent stays.
  Permit other = Insert(MakePermit("Beta", "CA", PENDING));
  InsertInspectionReportRequest child;
  child.mutable_inspection_report()->set_permit_uuid(other.uuid());
  InspectionReport stored;
  ASSERT_TRUE(inspections_->Insert(Ctx().get(), child, &stored).ok());
  DeleteInspectionReportRequest del_child;
  del_child.set_uuid(stored.uuid());
  DeleteInspectionReportResponse child_deleted;
  ASSERT_TRUE(
      inspections_->Delete(Ctx().get(), del_child, &child_deleted).ok());
  get.set_uuid(stored.uuid());
  EXPECT_EQ(inspections_->Get(Ctx().get(), get, &one).error_code(),
            grpc::StatusCode::NOT_FOUND);
  GetPermitRequest parent;
  parent.set_uuid(other.uuid());
  Permit still;
  EXPECT_TRUE(permits_->Get(Ctx().get(), parent, &still).ok());
}

TEST_F(PermitsServerTest, RecordsAndIndexesSurviveARestart) {
  Permit stored = Insert(MakePermit("Acme", "NY", APPROVED));
  permits_.reset();
  inspections_.reset();
  statuses_.reset();
  ASSERT_EQ(server_->Stop(), 0) << server_->error();
  ASSERT_TRUE(server_->Start()) << server_->error();
  Connect();
  GetPermitRequest get;
  get.set_uuid(stored.uuid());
  Permit got;
  ASSERT_TRUE(permits_->Get(Ctx().get(), get, &got).ok());
  FilterPermitsRequest filter;
  filter.mutable_client()->set_value("Acme");
  filter.set_status(APPROVED);
  filter.mutable_county()->set_value("NY");
  PermitPage page;
  ASSERT_TRUE(permits_->Filter(Ctx().get(), filter, &page).ok());
  ASSERT_EQ(page.permits_size(), 1);
  EXPECT_EQ(page.permits(0).uuid(), stored.uuid());
}

TEST_F(PermitsServerTest, ConcurrentInsertsAreAllAcknowledgedAndStored) {
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&] {
      auto stub = Permits::NewStub(server_->Channel());
      for (int i = 0; i < 25; ++i) {
        InsertPermitRequest req;
        *req.mutable_permit() = MakePermit("Many", "NY", PENDING);
        Permit out;
        grpc::ClientContext c;
        if (stub->Insert(&c, req, &out).ok()) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 400);
  PaginatePermitsRequest all;
  all.set_page_size(1000);
  PermitPage page;
  ASSERT_TRUE(permits_->Paginate(Ctx().get(), all, &page).ok());
  EXPECT_EQ(page.permits_size(), 400);
}

TEST(PermitsServerLimitsTest, FullMapIsResourceExhaustedAndReadsKeepWorking) {
  lmdbapi::testing::TempDir dir;
  ServerProcess server(ServerBinary(), dir.path() + "/data",
                       {"--map_size_gb=0.0005", "--max_map_size_gb=0.002",
                        "--durability=nosync"});
  ASSERT_TRUE(server.Start()) << server.error();
  auto stub = Permits::NewStub(server.Channel());
  std::string first;
  grpc::Status status;
  int stored = 0;
  for (int i = 0; i < 20000 && status.ok(); ++i) {
    InsertPermitRequest req;
    *req.mutable_permit() = MakePermit("Full", "NY", PENDING);
    req.mutable_permit()->set_address(std::string(400, 'a'));
    Permit out;
    grpc::ClientContext c;
    status = stub->Insert(&c, req, &out);
    if (status.ok()) {
      ++stored;
      if (first.empty()) first = out.uuid();
    }
  }
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << status.error_message();
  EXPECT_GT(stored, 100);
  GetPermitRequest get;
  get.set_uuid(first);
  Permit got;
  grpc::ClientContext c;
  EXPECT_TRUE(stub->Get(&c, get, &got).ok());
  stub.reset();
  EXPECT_EQ(server.Stop(), 0) << server.error();
}

TEST(PermitsServerConfigTest, BadFlagsAreRefusedWithAClearMessage) {
  lmdbapi::testing::TempDir dir;
  ServerProcess server(ServerBinary(), dir.path() + "/data",
                       {"--durability=sometimes"});
  EXPECT_FALSE(server.Start());
  EXPECT_NE(server.error().find("--durability"), std::string::npos)
      << server.error();
}

TEST(PermitsServerConfigTest, ABadShardTagIsRefusedNamingTheFlag) {
  for (std::vector<std::string> flags : std::vector<std::vector<std::string>>{
           {"--shard_tag=256"},
           {"--shard_tag=first"},
           {"--shard_tag=0", "--shards=127.0.0.1:1"}}) {
    lmdbapi::testing::TempDir dir;
    ServerProcess server(ServerBinary(), dir.path() + "/data", flags);
    EXPECT_FALSE(server.Start()) << flags[0];
    EXPECT_NE(server.error().find("--shard_tag"), std::string::npos)
        << server.error();
  }
}

}  // namespace
}  // namespace lmdbapi::examples::permits
