// JSON -> wire bytes of the example Permit, as `lmdbapi import` does it per
// NDJSON line: json/json_parser.h against protobuf's JsonStringToMessage
// followed by SerializeToString. Prints CPU ns/record for each.
//   json_parse_bench [--records=N] [--rounds=R] [--protobuf_rounds=R]
#include <time.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "json/json_parser.h"
#include "proto/examples/permits.pb.h"

ABSL_FLAG(int, records, 10000, "distinct records");
ABSL_FLAG(int, rounds, 20, "passes over the records");
ABSL_FLAG(int, protobuf_rounds, 2, "passes of protobuf's parser (slow)");

namespace {

using lmdbapi::examples::permits::Permit;

Permit RandomPermit(std::mt19937_64* rng, int i) {
  Permit p;
  p.set_uuid(absl::StrCat("5f0c6a1e-8b7d-4e2a-9c3f-", 100000000000 + i));
  p.set_permit_number(absl::StrCat("BP-2024-", 100000 + i));
  p.set_client(absl::StrCat("client-", (*rng)() % 1000));
  p.set_county(i % 3 == 0 ? "NY" : "Kings");
  p.set_county_status(absl::StrCat(p.county(), "#", (*rng)() % 4));
  p.set_status(
      static_cast<lmdbapi::examples::permits::PermitStatus>(1 + (*rng)() % 4));
  p.mutable_issued()->set_seconds(1700000000 + (*rng)() % 100000000);
  p.mutable_issued()->set_nanos(static_cast<int32_t>((*rng)() % 1000) *
                                1000000);
  p.mutable_expires()->set_seconds(p.issued().seconds() + 31536000);
  p.set_address(absl::StrCat((*rng)() % 9999, " Main Street, Springfield"));
  p.set_fee_cents(static_cast<int64_t>((*rng)() % 1000000));
  p.set_revision(static_cast<int64_t>(1 + (*rng)() % 100));
  *p.mutable_create_time() = p.issued();
  *p.mutable_update_time() = p.issued();
  return p;
}

// The thread's CPU time, not the wall clock: the machine may be shared.
double CpuNanos() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e9 + static_cast<double>(t.tv_nsec);
}

template <typename F>
double NsPerRecord(const std::vector<std::string>& lines, int rounds, F parse) {
  if (rounds == 0) return 0;
  double start = CpuNanos();
  for (int r = 0; r < rounds; ++r) {
    for (const std::string& line : lines) parse(line);
  }
  return (CpuNanos() - start) / (static_cast<double>(lines.size()) * rounds);
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  std::mt19937_64 rng(1);
  std::vector<std::string> lines;
  size_t bytes = 0;
  for (int i = 0; i < absl::GetFlag(FLAGS_records); ++i) {
    std::string json;
    (void)google::protobuf::util::MessageToJsonString(RandomPermit(&rng, i),
                                                      &json);
    bytes += json.size();
    lines.push_back(std::move(json));
  }
  std::printf("example line (%zu bytes on average):\n%s\n",
              bytes / lines.size(), lines[0].c_str());
  auto parser = *lmdbapi::json::JsonParser::Create(Permit::descriptor());
  std::string out;
  size_t failures = 0;
  double ours = NsPerRecord(lines, absl::GetFlag(FLAGS_rounds),
                            [&](const std::string& line) {
                              out.clear();
                              failures += !parser->Parse(line, &out).ok();
                            });
  Permit permit;
  double theirs = NsPerRecord(
      lines, absl::GetFlag(FLAGS_protobuf_rounds),
      [&](const std::string& line) {
        permit.Clear();
        failures +=
            !google::protobuf::util::JsonStringToMessage(line, &permit).ok();
        out.clear();
        permit.SerializeToString(&out);
      });
  std::printf("json_parser:                     %8.0f ns/record\n", ours);
  std::printf("protobuf JsonStringToMessage+Serialize: %8.0f ns/record\n",
              theirs);
  std::printf("failures: %zu\n", failures);
  return failures == 0 ? 0 : 1;
}
