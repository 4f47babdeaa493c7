// Group commit under 64 concurrent writers, and paging while others insert.
#include <atomic>
#include <set>
#include <thread>

#include "gtest/gtest.h"
#include "storage/table.h"
#include "tests/storage/test_tables.h"

namespace lmdbapi::storage {
namespace {

using lmdbapi::testing::MakePermit;
using test::PENDING;
using test::Permit;

TEST(ConcurrencyTest, SixtyFourWritersWithFailingRequestsFailAlone) {
  lmdbapi::testing::TempDir dir;
  // Durable commits, so that batching is what makes this fast.
  auto db = lmdbapi::testing::OpenPermitDb(dir.path(), Durability::kDurable);
  Table* permits = db->table("permits");
  constexpr int kThreads = 64, kPerThread = 40;
  // Every 5th request reuses the permit number of its thread's first record:
  // a unique-index clash that must fail alone.
  std::atomic<int> ok{0}, clashes{0}, other{0};
  std::vector<std::vector<std::string>> written(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int n = 0; n < kPerThread; ++n) {
        Permit p = MakePermit("client-" + std::to_string(t), "NY", PENDING);
        p.set_permit_number(n % 5 == 4 ? "T" + std::to_string(t) + "-0"
                                       : "T" + std::to_string(t) + "-" +
                                             std::to_string(n));
        absl::Status status = permits->Insert(&p);
        if (status.ok()) {
          ++ok;
          written[t].push_back(p.uuid());
        } else if (status.code() == absl::StatusCode::kAlreadyExists) {
          ++clashes;
        } else {
          ++other;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(clashes.load(), kThreads * kPerThread / 5);
  EXPECT_EQ(ok.load(), kThreads * kPerThread * 4 / 5);
  EXPECT_EQ(*permits->Count(), static_cast<uint64_t>(ok.load()));
  for (const auto& uuids : written) {
    for (const auto& uuid : uuids) {
      Permit got;
      ASSERT_TRUE(permits->Get(uuid, &got).ok()) << uuid;
    }
  }
  WriterStats stats = db->writer().stats();
  EXPECT_EQ(stats.operations, static_cast<uint64_t>(kThreads * kPerThread));
  EXPECT_LT(stats.batches, stats.operations / 4) << "writes were not grouped";
  auto report = permits->VerifyIndexes();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok());
  EXPECT_EQ(report->records, static_cast<size_t>(ok.load()));
}

TEST(ConcurrencyTest, PaginationAcrossConcurrentInsertsReturnsEachRecordOnce) {
  lmdbapi::testing::TempDir dir;
  auto db = lmdbapi::testing::OpenPermitDb(dir.path());
  Table* permits = db->table("permits");
  std::set<std::string> before;
  for (int n = 0; n < 500; ++n) {
    Permit p = MakePermit("Acme", "NY", PENDING);
    ASSERT_TRUE(permits->Insert(&p).ok());
    before.insert(p.uuid());
  }
  for (auto predicates :
       {std::vector<Predicate>{},
        std::vector<Predicate>{{"client", Op::kEq, std::string("Acme")}}}) {
    std::atomic<bool> stop{false};
    std::thread inserter([&] {
      for (int n = 0; n < 2000 && !stop; ++n) {
        Permit p = MakePermit("Acme", "NY", PENDING);
        ASSERT_TRUE(permits->Insert(&p).ok());
      }
    });
    std::multiset<std::string> seen;
    Query query{predicates, 37, ""};
    do {
      google::protobuf::RepeatedPtrField<Permit> page;
      auto result = permits->Filter(query, [&] { return page.Add(); });
      ASSERT_TRUE(result.ok()) << result.status();
      for (const auto& p : page) seen.insert(p.uuid());
      query.page_token = result->next_page_token;
    } while (!query.page_token.empty());
    stop = true;
    inserter.join();
    for (const auto& uuid : before) EXPECT_EQ(seen.count(uuid), 1u) << uuid;
    for (const auto& uuid : seen) EXPECT_EQ(seen.count(uuid), 1u) << uuid;
  }
}

}  // namespace
}  // namespace lmdbapi::storage
