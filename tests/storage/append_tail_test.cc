// storage/append_tail.h: keys above a database's last one go in with
// MDB_APPEND (full pages), any other key the ordinary way.
#include "storage/append_tail.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "storage/environment.h"
#include "tests/storage/test_tables.h"

namespace lmdbapi::storage {
namespace {

class AppendTailTest : public ::testing::Test {
 protected:
  void SetUp() override {
    EnvOptions options;
    options.path = dir_.path();
    options.durability = Durability::kNoSync;
    auto env = Environment::Open(options);
    ASSERT_TRUE(env.ok()) << env.status();
    env_ = *std::move(env);
  }

  // Begins a write transaction with the database `name` open in `*dbi`.
  Txn Begin(MDB_dbi* dbi, const std::string& name = "t") {
    auto txn = Txn::BeginWrite(env_->raw(), nullptr);
    EXPECT_TRUE(txn.ok()) << txn.status();
    auto opened = env_->OpenDatabase(txn->get(), name);
    EXPECT_TRUE(opened.ok()) << opened.status();
    *dbi = *opened;
    return *std::move(txn);
  }

  // A write transaction on "t" and the database's tail as it sees it.
  struct Tailed {
    Txn txn;
    MDB_dbi dbi;
    AppendTail tail;
  };
  Tailed BeginWithTail() {
    MDB_dbi dbi;
    Txn txn = Begin(&dbi);
    auto tail = AppendTail::Of(txn.get(), dbi);
    EXPECT_TRUE(tail.ok()) << tail.status();
    return {std::move(txn), dbi, tail.ok() ? *std::move(tail) : AppendTail()};
  }

  // Writes `keys` through one cursor and an AppendTail taken first.
  void PutAll(const std::vector<std::string>& keys, unsigned flags = 0) {
    auto [txn, dbi, tail] = BeginWithTail();
    {
      // Closed before the commit, which frees a write transaction's cursors.
      auto cursor = Cursor::Open(txn.get(), dbi);
      ASSERT_TRUE(cursor.ok());
      for (const std::string& key : keys) {
        absl::Status put = tail.Put(*cursor, key, "v" + key, flags);
        ASSERT_TRUE(put.ok()) << key << ": " << put;
      }
    }
    ASSERT_TRUE(txn.Commit().ok());
  }

  std::vector<std::string> Stored() {
    MDB_dbi dbi;
    Txn txn = Begin(&dbi);
    std::vector<std::string> keys;
    auto cursor = Cursor::Open(txn.get(), dbi);
    for (auto more = cursor->First(); more.ok() && *more;
         more = cursor->Next()) {
      keys.emplace_back(cursor->key());
      EXPECT_EQ(cursor->value(), "v" + keys.back());
    }
    return keys;
  }

  MDB_stat Stat(const std::string& name = "t") {
    MDB_dbi dbi;
    Txn txn = Begin(&dbi, name);
    MDB_stat stat;
    mdb_stat(txn.get(), dbi, &stat);
    return stat;
  }

  static std::vector<std::string> Keys(int from, int to) {
    std::vector<std::string> keys;
    for (int i = from; i < to; ++i) keys.push_back(absl::StrFormat("k%08d", i));
    return keys;
  }

  lmdbapi::testing::TempDir dir_;
  std::unique_ptr<Environment> env_;
};

TEST_F(AppendTailTest, KeysInOrderTakeNoMoreLeavesThanOrdinaryPuts) {
  PutAll(Keys(0, 20000));
  {
    MDB_dbi dbi;
    Txn txn = Begin(&dbi, "ordinary");
    for (const std::string& key : Keys(0, 20000)) {
      ASSERT_TRUE(PutValue(txn.get(), dbi, key, "v" + key).ok());
    }
    ASSERT_TRUE(txn.Commit().ok());
  }
  MDB_stat appended = Stat();
  EXPECT_EQ(appended.ms_entries, 20000u);
  // An entry takes 8 (node) + 9 (key) + 10 (value) bytes and a 2-byte
  // pointer: ~136 fit in a 4 KiB leaf.
  EXPECT_LE(appended.ms_leaf_pages, 20000u / 130 + 1);
  EXPECT_LE(appended.ms_leaf_pages, Stat("ordinary").ms_leaf_pages);
  EXPECT_EQ(Stored(), Keys(0, 20000));
}

TEST_F(AppendTailTest, ReservesRoomAtTheTail) {
  PutAll(Keys(0, 3));
  auto [txn, dbi, tail] = BeginWithTail();
  {
    auto cursor = Cursor::Open(txn.get(), dbi);
    for (const char* key : {"k00000001", "k00000007"}) {
      char* room = nullptr;
      std::string value = std::string("v") + key;
      absl::Status reserved =
          tail.Reserve(*cursor, key, value.size(), 0, &room);
      ASSERT_TRUE(reserved.ok()) << reserved;
      value.copy(room, value.size());
    }
  }
  ASSERT_TRUE(txn.Commit().ok());
  EXPECT_EQ(Stored(), (std::vector<std::string>{"k00000000", "k00000001",
                                                "k00000002", "k00000007"}));
}

TEST_F(AppendTailTest, KeysBelowTheTailGoInTheOrdinaryWay) {
  PutAll(Keys(100, 200));
  // Below, among and above the stored keys, each in increasing order.
  std::vector<std::string> mixed = Keys(0, 50);
  for (int i = 150; i < 300; i += 2)
    mixed.push_back(absl::StrFormat("k%08da", i));
  std::vector<std::string> above = Keys(300, 400);
  mixed.insert(mixed.end(), above.begin(), above.end());
  PutAll(mixed);
  std::vector<std::string> expected = Keys(0, 50);
  for (int i = 100; i < 200; ++i) {
    expected.push_back(absl::StrFormat("k%08d", i));
    if (i >= 150 && i % 2 == 0)
      expected.push_back(absl::StrFormat("k%08da", i));
  }
  for (int i = 200; i < 300; i += 2)
    expected.push_back(absl::StrFormat("k%08da", i));
  expected.insert(expected.end(), above.begin(), above.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(Stored(), expected);
}

TEST_F(AppendTailTest, AKeyOutOfOrderAboveTheTailStillGoesIn) {
  PutAll(Keys(0, 10));
  // Both are above the tail; the second is below the first appended.
  PutAll({"k00000500", "k00000400"});
  std::vector<std::string> expected = Keys(0, 10);
  expected.push_back("k00000400");
  expected.push_back("k00000500");
  EXPECT_EQ(Stored(), expected);
}

TEST_F(AppendTailTest, NoOverwriteStillRefusesAStoredKey) {
  PutAll(Keys(0, 10));
  auto [txn, dbi, tail] = BeginWithTail();
  EXPECT_FALSE(tail.Beyond("k00000009"));
  EXPECT_TRUE(tail.Beyond("k00000009\x01"));
  {
    auto cursor = Cursor::Open(txn.get(), dbi);
    EXPECT_TRUE(absl::IsAlreadyExists(
        tail.Put(*cursor, "k00000005", "other", MDB_NOOVERWRITE)));
    EXPECT_TRUE(
        tail.Put(*cursor, "k00000010", "vk00000010", MDB_NOOVERWRITE).ok());
    EXPECT_TRUE(absl::IsAlreadyExists(
        tail.Put(*cursor, "k00000010", "again", MDB_NOOVERWRITE)));
  }
  ASSERT_TRUE(txn.Commit().ok());
  std::vector<std::string> expected = Keys(0, 11);
  EXPECT_EQ(Stored(), expected);
}

TEST_F(AppendTailTest, AnEmptyDatabaseHasEveryKeyBeyondItsTail) {
  auto [txn, dbi, tail] = BeginWithTail();
  EXPECT_TRUE(tail.Beyond(""));
  EXPECT_TRUE(tail.Beyond("a"));
}

}  // namespace
}  // namespace lmdbapi::storage
