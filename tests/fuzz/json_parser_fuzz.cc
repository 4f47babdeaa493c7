// libFuzzer: any bytes as an NDJSON line for json/json_parser.h. The first
// byte picks the type (the test schema's Record, or one of its parts), the
// rest is the JSON. Whenever JsonParser accepts, protobuf's
// util::JsonStringToMessage accepts too and JsonParser's bytes parse to an
// equal message; JsonParser refuses only with INVALID_ARGUMENT; no crash.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <vector>

#include "json/json_parser.h"
#include "tests/json/json_types.pb.h"
#include "tests/json/parser_oracle.h"

namespace {

namespace pb = ::lmdbapi::tests::json;

struct Target {
  const google::protobuf::Message* prototype;
  std::unique_ptr<lmdbapi::json::JsonParser> parser;
};

const std::vector<Target>& Targets() {
  static const auto* targets = [] {
    auto* list = new std::vector<Target>;
    for (const google::protobuf::Message* m :
         {static_cast<const google::protobuf::Message*>(
              &pb::Record::default_instance()),
          static_cast<const google::protobuf::Message*>(
              &pb::Scalars::default_instance()),
          static_cast<const google::protobuf::Message*>(
              &pb::Maps::default_instance()),
          static_cast<const google::protobuf::Message*>(
              &pb::WellKnown::default_instance())}) {
      auto parser = lmdbapi::json::JsonParser::Create(m->GetDescriptor());
      if (!parser.ok()) __builtin_trap();
      list->push_back({m, *std::move(parser)});
    }
    return list;
  }();
  return *targets;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const Target& target = Targets()[data[0] % Targets().size()];
  absl::string_view json(reinterpret_cast<const char*>(data + 1), size - 1);
  auto result = lmdbapi::json::testing::CheckAgainstProtobuf(
      *target.parser, *target.prototype, json);
  if (!result.disagreement.empty()) {
    std::fprintf(stderr, "json_parser_fuzz: %s\n", result.disagreement.c_str());
    __builtin_trap();
  }
  return 0;
}
