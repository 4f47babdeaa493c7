// MergeShardPages over in-memory shards that page like the real ones (a
// page resumes after the last key of the previous one): every record once,
// in order, whatever the page sizes, and new records between pages neither
// repeat nor hide old ones; and the page on the wire (page_wire.h): a
// shard's page read without parsing its records, the merged page written
// from their bytes, a record a read_mask trims parsed whole or refused. The
// real shards are exercised by tests/deploy/router_test.py.
#include "server/router/fanout_page.h"

#include <map>
#include <random>
#include <set>

#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "server/router/page_wire.h"
#include "tests/storage/test_records.pb.h"
#include "tests/storage/test_tables.h"

namespace lmdbapi::server {
namespace {

using google::protobuf::Message;

// The uuid of a record as a page holds it (serialized).
std::string UuidOf(const std::string& bytes) {
  test::Permit permit;
  EXPECT_TRUE(permit.ParseFromString(bytes));
  return permit.uuid();
}

// A permit's serialized bytes, as a shard sends it.
std::string PermitBytes(const std::string& uuid) {
  test::Permit permit;
  permit.set_uuid(uuid);
  permit.set_county("Travis");
  permit.set_fee_cents(1200);
  return permit.SerializeAsString();
}

class FakeShards {
 public:
  FakeShards(size_t shards, size_t page_size)
      : shards_(shards), page_size_(page_size) {}

  void Add(size_t shard, const std::string& uuid) {
    shards_[shard].insert(uuid);
  }
  // Records after the token's key, page_size of them; the token of a shard
  // here is simply the last key it returned.
  FetchPages Fetch() {
    return [this](const std::vector<std::pair<size_t, std::string>>& asks) {
      std::vector<absl::StatusOr<ShardPage>> pages;
      for (const auto& [shard, token] : asks) {
        ++fetches;
        if (fail_shard == static_cast<int>(shard)) {
          pages.push_back(absl::UnavailableError("shard down"));
          continue;
        }
        ShardPage page;
        const std::set<std::string>& keys = shards_[shard];
        auto it = token.empty() ? keys.begin() : keys.upper_bound(token);
        for (; it != keys.end() && page.records.size() < page_size_; ++it) {
          test::Permit permit;
          permit.set_uuid(*it);
          page.records.push_back(permit.SerializeAsString());
        }
        if (it != keys.end()) page.next_token = *std::prev(it);
        pages.push_back(std::move(page));
      }
      return pages;
    };
  }
  // What the router asks of each shard: its own call's page size.
  void set_page_size(size_t page_size) { page_size_ = page_size; }
  int fail_shard = -1;
  int fetches = 0;

 private:
  std::vector<std::set<std::string>> shards_;
  size_t page_size_;
};

class FanoutPageTest : public ::testing::Test {
 protected:
  FanoutPageTest() {
    auto tables = storage::ResolveSchema(testing::PermitTables());
    EXPECT_TRUE(tables.ok()) << tables.status();
    tables_ = std::move(*tables);
    auto order = RecordOrder::For(tables_[0], nullptr, nullptr, nullptr, "");
    EXPECT_TRUE(order.ok()) << order.status();
    order_ = std::move(*order);
  }

  // Every page from the first: the uuids in the order returned.
  std::vector<std::string> All(FakeShards& shards, size_t count,
                               size_t page_size) {
    std::vector<std::string> seen;
    std::string token;
    for (int pages = 0; pages < 10000; ++pages) {
      auto page =
          MergeShardPages(7, count, token, page_size, order_, shards.Fetch());
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) break;
      EXPECT_LE(page->records.size(), page_size);
      for (const std::string& r : page->records) seen.push_back(UuidOf(r));
      token = page->next_token;
      if (token.empty()) break;
    }
    return seen;
  }

  std::vector<storage::TableSchema> tables_;
  RecordOrder order_;
};

TEST_F(FanoutPageTest, EveryRecordOnceInOrderForEveryPageSize) {
  std::mt19937 random(42);
  for (size_t shard_page : {1, 3, 1000}) {
    for (size_t count : {1, 3, 5}) {
      FakeShards shards(count, shard_page);
      std::vector<std::string> expected;
      for (int i = 0; i < 97; ++i) {
        std::string uuid = absl::StrFormat("%08x", random());
        expected.push_back(uuid);
        shards.Add(random() % count, uuid);
      }
      std::sort(expected.begin(), expected.end());
      for (size_t page_size : {1, 2, 10, 97, 500}) {
        EXPECT_EQ(All(shards, count, page_size), expected)
            << count << " shards paging " << shard_page << ", merged pages of "
            << page_size;
      }
    }
  }
}

TEST_F(FanoutPageTest, PagesOfChangingSizesReturnEveryRecordOnce) {
  // A smaller page asked with a token ends its shards' pages before the
  // records an earlier, larger page returned (AIP-158 lets page_size change).
  std::mt19937 random(7);
  FakeShards shards(2, 1);
  std::vector<std::string> expected;
  for (int i = 0; i < 60; ++i) {
    std::string uuid = absl::StrFormat("%08x", random());
    expected.push_back(uuid);
    shards.Add(i % 2, uuid);
  }
  std::sort(expected.begin(), expected.end());
  std::vector<std::string> seen;
  std::string token;
  const size_t sizes[] = {5, 1, 6, 2, 1, 7, 3, 1};
  for (int pages = 0; pages < 1000; ++pages) {
    size_t page_size = sizes[pages % 8];
    shards.set_page_size(page_size);
    auto page = MergeShardPages(7, 2, token, page_size, order_, shards.Fetch());
    ASSERT_TRUE(page.ok()) << page.status();
    for (const std::string& r : page->records) seen.push_back(UuidOf(r));
    token = page->next_token;
    if (token.empty()) break;
  }
  EXPECT_EQ(seen, expected);
}

TEST_F(FanoutPageTest, EmptyShardsGiveOneEmptyFinalPage) {
  FakeShards shards(3, 5);
  auto page = MergeShardPages(7, 3, "", 10, order_, shards.Fetch());
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_TRUE(page->records.empty());
  EXPECT_EQ(page->next_token, "");
}

TEST_F(FanoutPageTest, RecordsAddedBetweenPagesNeitherRepeatNorHideOthers) {
  FakeShards shards(2, 4);
  std::set<std::string> old;
  for (int i = 0; i < 40; i += 2) {
    std::string uuid = absl::StrFormat("k%03d", i);
    shards.Add(i % 4 == 0 ? 0 : 1, uuid);
    old.insert(uuid);
  }
  std::vector<std::string> seen;
  std::string token;
  for (int pages = 0; pages < 100; ++pages) {
    auto page = MergeShardPages(7, 2, token, 3, order_, shards.Fetch());
    ASSERT_TRUE(page.ok()) << page.status();
    for (const std::string& r : page->records) seen.push_back(UuidOf(r));
    // Odd keys land between the pages, behind and ahead of the cursor.
    shards.Add(pages % 2, absl::StrFormat("k%03d", 2 * pages + 1));
    token = page->next_token;
    if (token.empty()) break;
  }
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(),
            seen.size());
  for (const std::string& k : old) {
    EXPECT_NE(std::find(seen.begin(), seen.end(), k), seen.end()) << k;
  }
}

TEST_F(FanoutPageTest, ATokenIsBoundToItsQueryAndShardCount) {
  FakeShards shards(3, 2);
  for (int i = 0; i < 10; ++i) shards.Add(i % 3, absl::StrFormat("k%02d", i));
  auto first = MergeShardPages(7, 3, "", 4, order_, shards.Fetch());
  ASSERT_TRUE(first.ok());
  ASSERT_FALSE(first->next_token.empty());
  struct Case {
    uint64_t fingerprint;
    size_t shards;
    std::string token;
    const char* says;
  };
  std::string flipped = first->next_token;
  flipped[flipped.size() / 2] = flipped[flipped.size() / 2] == 'A' ? 'B' : 'A';
  for (const Case& c : std::vector<Case>{
           {8, 3, first->next_token, "another query"},
           {7, 4, first->next_token, "made for 3 shards; this router has 4"},
           {7, 3, first->next_token.substr(0, 10), "page_token"},
           {7, 3, flipped, "page_token"},
           {7, 3, "!!", "not a page token"}}) {
    auto page = MergeShardPages(c.fingerprint, c.shards, c.token, 4, order_,
                                shards.Fetch());
    ASSERT_FALSE(page.ok()) << c.says;
    EXPECT_EQ(page.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(page.status().message().find(c.says), std::string::npos)
        << page.status();
  }
}

TEST_F(FanoutPageTest, AListingAskedAgainReusesItsPlan) {
  storage::PlanCache plans;
  auto first = RecordOrder::For(tables_[0], nullptr, &plans, nullptr, "");
  auto again = RecordOrder::For(tables_[0], nullptr, &plans, nullptr, "");
  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_EQ(&first->plan(), &again->plan());
  EXPECT_EQ(first->description(), first->plan().Describe());
  auto uncached = RecordOrder::For(tables_[0], nullptr, nullptr, nullptr, "");
  ASSERT_TRUE(uncached.ok());
  EXPECT_NE(&uncached->plan(), &first->plan());
  EXPECT_EQ(uncached->description(), first->description());
}

TEST_F(FanoutPageTest, AShardErrorIsTheAnswer) {
  FakeShards shards(3, 2);
  for (int i = 0; i < 10; ++i) shards.Add(i % 3, absl::StrFormat("k%02d", i));
  shards.fail_shard = 1;
  auto page = MergeShardPages(7, 3, "", 4, order_, shards.Fetch());
  EXPECT_EQ(page.status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(FanoutPageTest, ARecordThatDoesNotParseIsAnInternalError) {
  FetchPages fetch =
      [](const std::vector<std::pair<size_t, std::string>>& asks) {
        std::vector<absl::StatusOr<ShardPage>> pages(asks.size());
        for (auto& page : pages) page = ShardPage{{"\xff\xff\xff"}, ""};
        return pages;
      };
  auto page = MergeShardPages(7, 2, "", 4, order_, fetch);
  EXPECT_EQ(page.status().code(), absl::StatusCode::kInternal);
  EXPECT_NE(page.status().message().find("did not parse"), std::string::npos)
      << page.status();
}

TEST_F(FanoutPageTest, AFinishedShardIsNotAskedAgain) {
  FakeShards shards(2, 100);
  shards.Add(0, "a");
  for (int i = 0; i < 10; ++i) shards.Add(1, absl::StrFormat("b%02d", i));
  auto first = MergeShardPages(7, 2, "", 3, order_, shards.Fetch());
  ASSERT_TRUE(first.ok());
  shards.fetches = 0;
  auto second =
      MergeShardPages(7, 2, first->next_token, 3, order_, shards.Fetch());
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(shards.fetches, 1);  // shard 0 gave its only record already
}

// The page on the wire (server/router/page_wire.h).

TEST_F(FanoutPageTest, AWrittenPageReadsBackAsTheSameRecordsAndToken) {
  MergedPage merged{{PermitBytes("a"), PermitBytes("b")}, "next"};
  auto bytes = SerializePage(order_, {}, merged, "a plan");
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  auto page = ParseShardPage(*bytes);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->records, merged.records);
  EXPECT_EQ(page->next_token, "next");
}

TEST_F(FanoutPageTest, AReadMaskKeepsOnlyItsFields) {
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

TEST_F(FanoutPageTest, ARecordToTrimThatDoesNotParseIsAnInternalError) {
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

TEST_F(FanoutPageTest, AMalformedShardPageIsAnInternalError) {
  auto page = ParseShardPage("\x0a\x7f");  // a record longer than the page
  EXPECT_EQ(page.status().code(), absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace lmdbapi::server
