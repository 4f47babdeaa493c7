// Differential test of queries: random records with repeated and nested
// fields, random AIP-160 filters and order_by, each answered by storage
// (Filter, paged with random page sizes in both directions while records
// are inserted, updated and deleted between pages, and Count) and compared
// with a brute-force evaluator written here, independently of storage/.
#include <algorithm>
#include <functional>
#include <map>
#include <random>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "storage/database.h"
#include "tests/storage/test_tables.h"

namespace lmdbapi::storage {
namespace {

using test::Customer;

// A filter as text, and what it means, evaluated here.
struct TestExpr {
  std::string text;
  std::function<bool(const Customer&)> eval;
};

const std::vector<std::string> kNames = {"Ada", "Alan", "Bob", "Bea", "Cy"};
const std::vector<std::string> kTags = {"vip", "new", "eu", "us", "v"};
const std::vector<std::string> kCities = {"Oslo", "Lima", "Rome", ""};
const std::vector<double> kBalances = {-1.5, 0, 2.5, 10};

std::vector<TableSpec> CustomerTables() {
  TableSpec customers;
  customers.name = "customers";
  customers.descriptor = Customer::descriptor();
  customers.primary_key = "uuid";
  customers.indexes = {
      {"by_name", {"name"}, false},
      {"by_tag", {"tags"}, false},
      {"by_city", {"address.city", "points"}, false},
      {"by_tier", {"tier", "balance"}, false},
  };
  return {customers};
}

template <typename T>
int Cmp(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

bool Holds(const std::string& op, int c) {
  if (op == "=") return c == 0;
  if (op == "!=") return c != 0;
  if (op == "<") return c < 0;
  if (op == "<=") return c <= 0;
  if (op == ">") return c > 0;
  return c >= 0;  // ">="
}

std::string Quote(const std::string& s) { return absl::StrCat("\"", s, "\""); }

class Generator {
 public:
  explicit Generator(uint32_t seed) : rng_(seed) {}

  int Below(int n) { return static_cast<int>(rng_() % n); }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[Below(static_cast<int>(v.size()))];
  }

  Customer Record() {
    Customer c;
    c.set_name(Pick(kNames));
    for (int i = Below(4); i > 0; --i) c.add_tags(Pick(kTags));
    if (Below(5) != 0) c.mutable_address()->set_city(Pick(kCities));
    c.set_tier(static_cast<test::Tier>(Below(4)));
    c.set_balance(Pick(kBalances));
    c.set_points(Below(6));
    c.mutable_joined()->set_seconds(Below(5));
    c.set_active(Below(2) == 1);
    for (int i = Below(3); i > 0; --i) c.add_scores(Below(5));
    return c;
  }

  TestExpr Expr(int depth) {
    if (depth == 0 || Below(3) == 0) return Leaf();
    switch (Below(3)) {
      case 0:
        return Join(Expr(depth - 1), Expr(depth - 1), "AND");
      case 1:
        return Join(Expr(depth - 1), Expr(depth - 1), "OR");
      default: {
        TestExpr inner = Expr(depth - 1);
        return {absl::StrCat(Below(2) ? "NOT " : "-", "(", inner.text, ")"),
                [e = inner.eval](const Customer& c) { return !e(c); }};
      }
    }
  }

  std::string OrderBy() {
    static const std::vector<std::string> kOrders = {"",
                                                     "uuid",
                                                     "uuid desc",
                                                     "name",
                                                     "name desc",
                                                     "points",
                                                     "points desc",
                                                     "tier, balance",
                                                     "tier desc, balance desc",
                                                     "address.city, points",
                                                     "balance desc"};
    return Pick(kOrders);
  }

 private:
  static TestExpr Join(TestExpr a, TestExpr b, const char* op) {
    bool both = std::string(op) == "AND";
    return {absl::StrCat("(", a.text, ") ", op, " (", b.text, ")"),
            [a = a.eval, b = b.eval, both](const Customer& c) {
              return both ? a(c) && b(c) : a(c) || b(c);
            }};
  }

  TestExpr Compare(const std::string& field, const std::string& value,
                   std::function<int(const Customer&)> cmp,
                   std::vector<std::string> ops) {
    std::string op = Pick(ops);
    return {absl::StrCat(field, " ", op, " ", value),
            [cmp, op](const Customer& c) { return Holds(op, cmp(c)); }};
  }

  TestExpr Leaf() {
    const std::vector<std::string> all = {"=", "!=", "<", "<=", ">", ">="};
    switch (Below(10)) {
      case 0: {
        if (Below(3) == 0) {
          std::string p = Pick(kNames).substr(0, 1);
          return {absl::StrCat("name = ", Quote(p + "*")),
                  [p](const Customer& c) { return c.name().rfind(p, 0) == 0; }};
        }
        std::string v = Pick(kNames);
        return Compare(
            "name", Quote(v),
            [v](const Customer& c) { return Cmp(c.name(), v); }, all);
      }
      case 1: {
        std::string t = Pick(kTags);
        bool prefix = Below(4) == 0;
        return {absl::StrCat("tags:", Quote(prefix ? t + "*" : t)),
                [t, prefix](const Customer& c) {
                  for (const std::string& e : c.tags()) {
                    if (prefix ? e.rfind(t, 0) == 0 : e == t) return true;
                  }
                  return false;
                }};
      }
      case 2: {
        std::string v = Pick(kCities);
        return Compare(
            "address.city", Quote(v),
            [v](const Customer& c) { return Cmp(c.address().city(), v); }, all);
      }
      case 3: {
        int v = Below(4);
        std::string text = Below(2) ? test::Tier_Name(v) : std::to_string(v);
        return Compare(
            "tier", text,
            [v](const Customer& c) { return Cmp<int>(c.tier(), v); }, all);
      }
      case 4: {
        double v = Pick(kBalances);
        return Compare(
            "balance", absl::StrCat(v),
            [v](const Customer& c) { return Cmp(c.balance(), v); }, all);
      }
      case 5: {
        int64_t v = Below(6);
        return Compare(
            "points", absl::StrCat(v),
            [v](const Customer& c) { return Cmp(c.points(), v); }, all);
      }
      case 6: {
        int64_t v = Below(5);
        return Compare(
            "joined", Quote(absl::StrCat("1970-01-01T00:00:0", v, "Z")),
            [v](const Customer& c) { return Cmp(c.joined().seconds(), v); },
            all);
      }
      case 7: {
        bool v = Below(2) == 1;
        return Compare("active", v ? "true" : "false",
                       [v](const Customer& c) { return Cmp(c.active(), v); },
                       {"=", "!="});
      }
      case 8: {
        int64_t v = Below(5);
        return {absl::StrCat("scores:", v), [v](const Customer& c) {
                  for (int64_t s : c.scores()) {
                    if (s == v) return true;
                  }
                  return false;
                }};
      }
      default: {  // an OR of equalities on one field: several ranges
        std::string a = Pick(kNames), b = Pick(kNames);
        return {
            absl::StrCat("(name = ", Quote(a), " OR name = ", Quote(b), ")"),
            [a, b](const Customer& c) {
              return c.name() == a || c.name() == b;
            }};
      }
    }
  }

  std::mt19937 rng_;
};

// Compares two records by one order_by term's field.
int CompareField(const Customer& a, const Customer& b, const std::string& f) {
  if (f == "uuid") return Cmp(a.uuid(), b.uuid());
  if (f == "name") return Cmp(a.name(), b.name());
  if (f == "points") return Cmp(a.points(), b.points());
  if (f == "tier") return Cmp<int>(a.tier(), b.tier());
  if (f == "balance") return Cmp(a.balance(), b.balance());
  if (f == "address.city") return Cmp(a.address().city(), b.address().city());
  ADD_FAILURE() << "no comparator for " << f;
  return 0;
}

// Whether `b` may follow `a` under `order_by`.
bool InOrder(const Customer& a, const Customer& b,
             const std::string& order_by) {
  if (order_by.empty()) return true;
  for (absl::string_view term : absl::StrSplit(order_by, ", ")) {
    std::vector<std::string> words = absl::StrSplit(term, ' ');
    int c = CompareField(a, b, words[0]);
    if (words.size() == 2) c = -c;
    if (c != 0) return c < 0;
  }
  return true;
}

class QueryDifferentialTest : public ::testing::Test {
 protected:
  void SetUp() override {
    DatabaseOptions options;
    options.env.path = dir_.path();
    options.env.map_size_bytes = uint64_t{256} << 20;
    options.env.durability = Durability::kNoSync;
    auto db = Database::Open(options, CustomerTables());
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    table_ = db_->table("customers");
  }

  void Insert(Generator& gen) {
    Customer c = gen.Record();
    absl::Status inserted = table_->Insert(&c);
    ASSERT_TRUE(inserted.ok()) << inserted;
    records_[c.uuid()] = c;
  }

  // Inserts a record or deletes one (keeping about 150), and sometimes
  // changes one; adds the keys of the records it deleted or changed to
  // `touched`.
  void Churn(Generator& gen, std::set<std::string>* touched) {
    if (records_.size() < 150 || gen.Below(2) == 0) {
      Insert(gen);
    } else {
      auto gone = std::next(records_.begin(), gen.Below(records_.size()));
      touched->insert(gone->first);
      ASSERT_TRUE(table_->Delete(gone->first).ok());
      records_.erase(gone);
    }
    if (gen.Below(3) != 0) return;
    auto it = std::next(records_.begin(), gen.Below(records_.size()));
    touched->insert(it->first);
    Customer changed = gen.Record();
    changed.set_uuid(it->first);
    absl::Status updated = table_->Update(changed);
    ASSERT_TRUE(updated.ok()) << updated;
    it->second = changed;
  }

  std::vector<std::string> Expected(const TestExpr& e) const {
    std::vector<std::string> keys;
    for (const auto& [key, c] : records_) {
      if (e.eval(c)) keys.push_back(key);
    }
    return keys;
  }

  // Every page of the query, churning between pages. False when order_by
  // cannot be served (the planner said so, naming order_by).
  bool Walk(Generator& gen, const TestExpr& e, const std::string& order_by) {
    std::vector<std::string> before = Expected(e);
    std::set<std::string> touched;
    std::vector<Customer> got;
    Query q;
    q.filter = e.text;
    q.order_by = order_by;
    std::string plan;
    do {
      q.page_size = 1 + gen.Below(7);
      google::protobuf::RepeatedPtrField<Customer> page;
      auto r = table_->Filter(q, [&] { return page.Add(); });
      if (!r.ok() && absl::StartsWith(r.status().message(), "order_by:")) {
        EXPECT_TRUE(got.empty()) << r.status();
        return false;
      }
      EXPECT_TRUE(r.ok()) << e.text << " | " << order_by << ": " << r.status();
      if (!r.ok()) return true;
      plan = r->plan->description;
      plans_.insert(plan);
      got.insert(got.end(), page.begin(), page.end());
      q.page_token = r->next_page_token;
      Churn(gen, &touched);
    } while (!q.page_token.empty());
    const std::string where =
        absl::StrCat(e.text, " | order_by ", order_by, " | plan ", plan);
    std::set<std::string> seen;
    for (size_t i = 0; i < got.size(); ++i) {
      // An update between pages may move a record past the position the
      // next page resumes from: only records left alone come once.
      EXPECT_TRUE(seen.insert(got[i].uuid()).second ||
                  touched.count(got[i].uuid()))
          << "returned twice: " << got[i].uuid() << " | " << where;
      if (!touched.count(got[i].uuid())) {
        EXPECT_TRUE(e.eval(got[i]))
            << got[i].ShortDebugString() << " | " << where;
      }
      if (i > 0) {
        EXPECT_TRUE(InOrder(got[i - 1], got[i], order_by))
            << got[i - 1].ShortDebugString() << " then "
            << got[i].ShortDebugString() << " | " << where;
      }
    }
    for (const std::string& key : before) {
      if (touched.count(key) == 0) {
        EXPECT_TRUE(seen.count(key)) << "missed " << key << " | " << where;
      }
    }
    return true;
  }

  lmdbapi::testing::TempDir dir_;
  std::unique_ptr<Database> db_;
  Table* table_ = nullptr;
  std::map<std::string, Customer> records_;
  std::set<std::string> plans_;  // every plan a walk used
};

TEST_F(QueryDifferentialTest, FilterPagesAndCountsAgreeWithBruteForce) {
  Generator gen(20261128);
  for (int i = 0; i < 150; ++i) Insert(gen);
  int served = 0, refused = 0;
  for (int round = 0; round < 300; ++round) {
    TestExpr e = gen.Expr(3);
    Query q;
    q.filter = e.text;
    auto count = table_->Count(q);
    ASSERT_TRUE(count.ok()) << e.text << ": " << count.status();
    EXPECT_EQ(count->count, Expected(e).size())
        << e.text << " | plan " << count->plan->description;
    if (Walk(gen, e, gen.OrderBy())) {
      ++served;
    } else {
      ++refused;
    }
    if (::testing::Test::HasFailure()) break;
  }
  EXPECT_GT(served, 150) << refused << " refused";
  // The walks went through every kind of access path.
  for (const char* kind :
       {"full scan", "index by_tag", "index by_city", "index by_tier",
        "index by_name", " ranges", "(read backward)", "residual"}) {
    EXPECT_TRUE(std::any_of(plans_.begin(), plans_.end(),
                            [&](const std::string& p) {
                              return p.find(kind) != std::string::npos;
                            }))
        << "no plan with '" << kind << "' among " << plans_.size();
  }
  auto report = table_->VerifyIndexes();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok());
}

TEST_F(QueryDifferentialTest, EveryOrderThatAnIndexServesComesOutInOrder) {
  Generator gen(7);
  for (int i = 0; i < 120; ++i) Insert(gen);
  auto has_tag = [](const Customer& c, const std::string& t) {
    return std::find(c.tags().begin(), c.tags().end(), t) != c.tags().end();
  };
  struct Case {
    TestExpr filter;
    std::string order_by;
    std::string plan;  // what Plan::Describe() starts with
  };
  const std::vector<Case> cases = {
      {{"", [](const Customer&) { return true; }}, "uuid desc", "full scan"},
      {{"", [](const Customer&) { return true; }},
       "name desc",
       "index by_name"},
      {{"uuid >= \"0\"", [](const Customer&) { return true; }},
       "uuid desc",
       "primary key range"},
      {{"address.city = \"Oslo\"",
        [](const Customer& c) { return c.address().city() == "Oslo"; }},
       "points desc",
       "index by_city"},
      {{"tier = GOLD",
        [](const Customer& c) { return c.tier() == test::GOLD; }},
       "balance",
       "index by_tier"},
      {{"tier = GOLD OR tier = SILVER",
        [](const Customer& c) {
          return c.tier() == test::GOLD || c.tier() == test::SILVER;
        }},
       "tier desc, balance desc",
       "index by_tier"},
      {{"tags:\"vip\" OR tags:\"eu\"",
        [&](const Customer& c) {
          return has_tag(c, "vip") || has_tag(c, "eu");
        }},
       "",
       "index by_tag"},
      {{"name = \"Ada\" OR tags:\"vip\"",
        [&](const Customer& c) {
          return c.name() == "Ada" || has_tag(c, "vip");
        }},
       "uuid desc",
       "union of index by_name"},
      {{"(name = \"Ada\" OR name = \"Bob\") AND points > 1",
        [](const Customer& c) {
          return (c.name() == "Ada" || c.name() == "Bob") && c.points() > 1;
        }},
       "name",
       "index by_name"},
  };
  for (const Case& c : cases) {
    const std::string where = absl::StrCat(c.filter.text, " | ", c.order_by);
    Query q;
    q.filter = c.filter.text;
    q.order_by = c.order_by;
    q.page_size = 1000;
    google::protobuf::RepeatedPtrField<Customer> page;
    auto r = table_->Filter(q, [&] { return page.Add(); });
    ASSERT_TRUE(r.ok()) << where << ": " << r.status();
    const std::string plan = r->plan->description;
    EXPECT_EQ(plan.rfind(c.plan, 0), 0u) << where << ": " << plan;
    std::vector<std::string> got;
    for (int i = 0; i < page.size(); ++i) {
      got.push_back(page[i].uuid());
      if (i > 0) {
        EXPECT_TRUE(InOrder(page[i - 1], page[i], c.order_by))
            << where << " | " << plan;
      }
    }
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, Expected(c.filter)) << where << " | " << plan;
    auto count = table_->Count(q);
    ASSERT_TRUE(count.ok());
    EXPECT_EQ(count->count, got.size()) << where;
  }
}

}  // namespace
}  // namespace lmdbapi::storage
