// The router's shard map (server/router/shard_map.h): a map read as nginx's
// JSON, its keys found on their --shards position, a bad map refused naming
// the member; and which queries name the shard key's values (only those are
// asked of fewer shards than all). The router itself, with real shards:
// tests/deploy/router_test.py.
#include "server/router/shard_map.h"

#include "gtest/gtest.h"
#include "tests/storage/test_tables.h"

namespace lmdbapi::server {
namespace {

const std::vector<std::string> kShards = {"a:1", "b:2", "c:3"};

TEST(ShardMapTest, KeysFindTheShardWhoseGrpcAddressIsInShards) {
  absl::StatusOr<ShardMap> map = ShardMap::Parse(R"({
    "listen": {"grpc": "0.0.0.0:8443"},
    "shards": {"s0": {"grpc": "c:3", "keys": ["NY", "NJ"]},
               "s1": {"grpc": "a:1", "keys": ["CA"]},
               "s2": {"grpc": "b:2"}}})",
                                                 kShards);
  ASSERT_TRUE(map.ok()) << map.status();
  EXPECT_EQ(map->ShardOf("NY"), 2u);
  EXPECT_EQ(map->ShardOf("NJ"), 2u);
  EXPECT_EQ(map->ShardOf("CA"), 0u);
  EXPECT_EQ(map->ShardOf("TX"), std::nullopt);
  EXPECT_EQ(map->ShardOf(""), std::nullopt);
}

TEST(ShardMapTest, AKeyInNoShardBelongsToTheDefault) {
  absl::StatusOr<ShardMap> map = ShardMap::Parse(
      R"({"shards": {"s0": {"grpc": "a:1", "keys": ["NY"]},
                     "s1": {"grpc": "b:2"}}, "default": "s1"})",
      kShards);
  ASSERT_TRUE(map.ok()) << map.status();
  EXPECT_EQ(map->ShardOf("NY"), 0u);
  EXPECT_EQ(map->ShardOf("TX"), 1u);
}

TEST(ShardMapTest, ABadMapIsRefusedNamingTheMember) {
  for (const auto& [json, named] :
       std::vector<std::pair<std::string, std::string>>{
           {"{not json", "not JSON"},
           {R"({"listen": {}})", "shards: missing"},
           {R"({"shards": {"s0": {"keys": ["NY"]}}})",
            "shards.s0.grpc: missing"},
           {R"({"shards": {"s0": {"grpc": "d:4"}}})", "shards.s0.grpc: 'd:4'"},
           {R"({"shards": {"s0": {"grpc": "a:1", "keys": "NY"}}})",
            "shards.s0.keys: not a list"},
           {R"({"shards": {"s0": {"grpc": "a:1", "keys": [1]}}})",
            "shards.s0.keys: not all strings"},
           {R"({"shards": {"s0": {"grpc": "a:1", "keys": ["NY"]},
                           "s1": {"grpc": "b:2", "keys": ["NY"]}}})",
            "'NY' is also another shard's key"},
           {R"({"shards": {"s0": {"grpc": "a:1"}}, "default": "s9"})",
            "default: not the name"},
       }) {
    absl::StatusOr<ShardMap> map = ShardMap::Parse(json, kShards);
    ASSERT_FALSE(map.ok()) << json;
    EXPECT_EQ(map.status().code(), absl::StatusCode::kInvalidArgument) << json;
    EXPECT_NE(map.status().message().find(named), std::string::npos)
        << map.status() << " should name " << named;
  }
  EXPECT_EQ(ShardMap::Load("/nonexistent/map.json", kShards).status().code(),
            absl::StatusCode::kNotFound);
}

class FixedValueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto tables = storage::ResolveSchema(testing::PermitTables());
    ASSERT_TRUE(tables.ok()) << tables.status();
    tables_ = *std::move(tables);
    county_ = tables_[0].descriptor->FindFieldByName("county");
  }
  std::optional<std::vector<std::string>> Fixed(
      std::vector<storage::Predicate> typed, std::string filter) {
    storage::Query query;
    query.predicates = std::move(typed);
    query.filter = std::move(filter);
    return FixedValuesOf(tables_[0], query, county_);
  }
  using Values = std::vector<std::string>;
  std::vector<storage::TableSchema> tables_;
  const google::protobuf::FieldDescriptor* county_ = nullptr;
};

TEST_F(FixedValueTest, ATypedEqualityOrAnEqualityInTheFiltersAndFixesTheKey) {
  using storage::Op;
  EXPECT_EQ(Fixed({{"county", Op::kEq, std::string("NY")}}, ""), Values{"NY"});
  EXPECT_EQ(Fixed({{"client", Op::kEq, std::string("Acme")},
                   {"county", Op::kEq, std::string("NY")}},
                  ""),
            Values{"NY"});
  EXPECT_EQ(Fixed({}, R"(county = "NY")"), Values{"NY"});
  EXPECT_EQ(Fixed({}, R"(client = "Acme" AND (county = "NJ" AND active))"),
            Values{"NJ"});
  EXPECT_EQ(Fixed({{"client", Op::kEq, std::string("Acme")}},
                  R"(fee_cents > 5 county = "CA")"),
            Values{"CA"});
}

TEST_F(FixedValueTest, AnOrOfEqualitiesInTheFiltersAndNamesEachValue) {
  EXPECT_EQ(Fixed({}, R"(county = "NY" OR county = "CA")"),
            (Values{"NY", "CA"}));
  EXPECT_EQ(Fixed({}, R"(county = (NY OR CA OR NJ))"),
            (Values{"NY", "CA", "NJ"}));
  EXPECT_EQ(Fixed({}, R"(active AND county = (NY OR CA))"),
            (Values{"NY", "CA"}));
}

TEST_F(FixedValueTest, AnythingElseLeavesItOpen) {
  using storage::Op;
  EXPECT_EQ(Fixed({}, ""), std::nullopt);
  EXPECT_EQ(Fixed({{"client", Op::kEq, std::string("NY")}}, ""), std::nullopt);
  EXPECT_EQ(Fixed({{"county", Op::kPrefix, std::string("N")}}, ""),
            std::nullopt);
  EXPECT_EQ(Fixed({}, R"(county = "N*")"), std::nullopt);
  EXPECT_EQ(Fixed({}, R"(county != "NY")"), std::nullopt);
  EXPECT_EQ(Fixed({}, R"(county = "NY" OR client = "CA")"), std::nullopt);
  EXPECT_EQ(Fixed({}, R"(county = "NY" OR county = "C*")"), std::nullopt);
  EXPECT_EQ(Fixed({}, R"((county = "NY" AND active) OR county = "CA")"),
            std::nullopt);
  EXPECT_EQ(Fixed({}, R"(NOT county = "NY")"), std::nullopt);
  EXPECT_EQ(Fixed({}, R"(client = "NY")"), std::nullopt);
  EXPECT_EQ(Fixed({}, R"(county = )"), std::nullopt);  // does not parse
}

}  // namespace
}  // namespace lmdbapi::server
