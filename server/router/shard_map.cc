#include "server/router/shard_map.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "storage/filter_expr.h"

namespace lmdbapi::server {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

absl::Status Bad(absl::string_view where, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("--shard_map: ", where, ": ", why));
}

// The --shards position of the map shard `name`, whose entry is `shard`.
absl::StatusOr<size_t> PositionOf(const std::string& name, const Value& shard,
                                  const std::vector<std::string>& shards) {
  const std::string where = absl::StrCat("shards.", name, ".grpc");
  if (!shard.has_struct_value()) return Bad("shards." + name, "not an object");
  auto grpc = shard.struct_value().fields().find("grpc");
  if (grpc == shard.struct_value().fields().end() ||
      !grpc->second.has_string_value()) {
    return Bad(where, "missing (the shard's HOST:PORT)");
  }
  auto at =
      std::find(shards.begin(), shards.end(), grpc->second.string_value());
  if (at == shards.end()) {
    return Bad(where, absl::StrCat("'", grpc->second.string_value(),
                                   "' is not one of --shards (give the same "
                                   "HOST:PORT in both)"));
  }
  return static_cast<size_t>(at - shards.begin());
}

// The value of `expr` when it is an equality of `field` with a string.
std::optional<std::string> EqualityOf(
    const storage::Expr& expr, const google::protobuf::FieldDescriptor* field) {
  const storage::BoundPredicate& p = expr.predicate;
  if (expr.kind != storage::Expr::Kind::kPredicate ||
      p.op != storage::Op::kEq || p.field.field != field ||
      !p.field.path.empty()) {
    return std::nullopt;
  }
  const auto* text = std::get_if<std::string>(&p.value);
  return text == nullptr ? std::nullopt : std::optional<std::string>(*text);
}

// The values `expr` (an equality, or an OR of equalities) allows `field`.
std::optional<std::vector<std::string>> ValuesOf(
    const storage::Expr& expr, const google::protobuf::FieldDescriptor* field) {
  if (std::optional<std::string> value = EqualityOf(expr, field)) {
    return std::vector<std::string>{*std::move(value)};
  }
  if (expr.kind != storage::Expr::Kind::kOr) return std::nullopt;
  std::vector<std::string> values;
  for (const storage::Expr& child : expr.children) {
    std::optional<std::string> value = EqualityOf(child, field);
    if (!value.has_value()) return std::nullopt;
    values.push_back(*std::move(value));
  }
  return values;
}

}  // namespace

absl::StatusOr<ShardMap> ShardMap::Parse(
    absl::string_view json, const std::vector<std::string>& shards) {
  Struct map;
  auto parsed = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), &map);
  if (!parsed.ok()) return Bad("not JSON", parsed.message().ToString());
  auto members = map.fields().find("shards");
  if (members == map.fields().end() || !members->second.has_struct_value()) {
    return Bad("shards", "missing (an object: name -> {grpc, keys})");
  }
  ShardMap out;
  absl::flat_hash_map<std::string, size_t> by_name;
  for (const auto& [name, shard] : members->second.struct_value().fields()) {
    absl::StatusOr<size_t> position = PositionOf(name, shard, shards);
    if (!position.ok()) return position.status();
    by_name[name] = *position;
    auto keys = shard.struct_value().fields().find("keys");
    if (keys == shard.struct_value().fields().end()) continue;
    if (!keys->second.has_list_value()) {
      return Bad(absl::StrCat("shards.", name, ".keys"), "not a list");
    }
    for (const Value& key : keys->second.list_value().values()) {
      if (!key.has_string_value()) {
        return Bad(absl::StrCat("shards.", name, ".keys"), "not all strings");
      }
      if (!out.shard_of_.emplace(key.string_value(), *position).second) {
        return Bad(absl::StrCat("shards.", name, ".keys"),
                   absl::StrCat("'", key.string_value(),
                                "' is also another shard's key"));
      }
    }
  }
  if (auto def = map.fields().find("default"); def != map.fields().end()) {
    auto named = by_name.find(def->second.string_value());
    if (!def->second.has_string_value() || named == by_name.end()) {
      return Bad("default", "not the name of one of its shards");
    }
    out.default_ = named->second;
  }
  return out;
}

absl::StatusOr<ShardMap> ShardMap::Load(
    const std::string& path, const std::vector<std::string>& shards) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError("--shard_map: cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  return Parse(text.str(), shards);
}

std::optional<size_t> ShardMap::ShardOf(absl::string_view key) const {
  auto found = shard_of_.find(key);
  return found != shard_of_.end() ? std::optional<size_t>(found->second)
                                  : default_;
}

std::optional<std::vector<std::string>> FixedValuesOf(
    const storage::TableSchema& table, const storage::Query& query,
    const google::protobuf::FieldDescriptor* field) {
  for (const storage::Predicate& p : query.predicates) {
    const auto* text = std::get_if<std::string>(&p.value);
    if (p.field == field->name() && p.op == storage::Op::kEq &&
        text != nullptr) {
      return std::vector<std::string>{*text};
    }
  }
  if (query.filter.empty()) return std::nullopt;
  absl::StatusOr<storage::Expr> expr =
      storage::ParseFilter(table, query.filter);
  if (!expr.ok()) return std::nullopt;
  if (expr->kind != storage::Expr::Kind::kAnd) return ValuesOf(*expr, field);
  for (const storage::Expr& child : expr->children) {
    if (auto values = ValuesOf(child, field)) return values;
  }
  return std::nullopt;
}

}  // namespace lmdbapi::server
