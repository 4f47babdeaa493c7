// JSON conversion of records, protobuf's against json/'s fast paths: the
// cost per record of what `lmdbapi export` (wire -> JSON) and `import`
// (JSON -> wire) do to each record, on --records random example-schema
// Permits filled as real ones are (uuids, permit numbers, counties,
// addresses, timestamps). Prints one table: CPU ns/record per row, best of
// --repeat runs, and how many times faster than the section's first row.
//
//   json_bench [--records=100000] [--repeat=3] [--rows=NAME_PART]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/type_resolver.h"
#include "google/protobuf/util/type_resolver_util.h"
#include "json/json_printer.h"
#include "proto/examples/permits.pb.h"

ABSL_FLAG(int, records, 100000, "random Permit records converted per run");
ABSL_FLAG(int, repeat, 3, "runs per row (the best counts)");
ABSL_FLAG(std::string, rows, "", "only the rows whose names contain this");

namespace {

using lmdbapi::examples::permits::Permit;
using lmdbapi::examples::permits::PermitStatus;

// ---- Records.

template <size_t N>
const char* Pick(std::mt19937& rng, const char* const (&names)[N]) {
  return names[rng() % N];
}

std::string Uuid(std::mt19937& rng) {
  return absl::StrFormat("%08x-%04x-7%03x-%04x-%08x%04x", rng(), rng() & 0xffff,
                         rng() & 0xfff, 0x8000 | (rng() & 0x3fff), rng(),
                         rng() & 0xffff);
}

void SetTime(int64_t seconds, int32_t nanos, google::protobuf::Timestamp* t) {
  t->set_seconds(seconds);
  t->set_nanos(nanos);
}

Permit RandomPermit(std::mt19937& rng) {
  static const char* const kClients[] = {
      "Acme Construction LLC", "Brooklyn Builders Inc.",   "Hudson & Sons",
      "Northeast Renovations", "Skyline Development Corp", "J. Ortiz",
      "Greenway Landscaping",  "Empire Plumbing Co."};
  static const char* const kCounties[] = {
      "Kings",  "Queens",  "New York",    "Bronx", "Richmond",
      "Nassau", "Suffolk", "Westchester", "Erie",  "Monroe"};
  static const char* const kStreets[] = {"Main St",      "Ocean Ave",
                                         "Atlantic Ave", "Broadway",
                                         "Flatbush Ave", "5th Ave"};
  Permit permit;
  permit.set_uuid(Uuid(rng));
  permit.set_permit_number(
      absl::StrFormat("BP-%d-%06d", 2015 + rng() % 10, rng() % 1000000));
  permit.set_client(Pick(rng, kClients));
  permit.set_county(Pick(rng, kCounties));
  permit.set_status(static_cast<PermitStatus>(1 + rng() % 4));
  permit.set_county_status(
      absl::StrCat(permit.county(), "|", PermitStatus_Name(permit.status())));
  const int64_t issued = 1420070400 + rng() % 315360000;  // 2015..2025
  SetTime(issued, 0, permit.mutable_issued());
  SetTime(issued + 31536000 * (1 + rng() % 3), 0, permit.mutable_expires());
  permit.set_address(absl::StrFormat("%d %s, Apt %d", 1 + rng() % 2000,
                                     Pick(rng, kStreets), 1 + rng() % 40));
  permit.set_fee_cents(5000 + rng() % 5000000);
  permit.set_revision(1 + rng() % 20);
  SetTime(issued, static_cast<int32_t>(rng() % 1000000) * 1000,
          permit.mutable_create_time());
  SetTime(issued + rng() % 8640000,
          static_cast<int32_t>(rng() % 1000000) * 1000,
          permit.mutable_update_time());
  return permit;
}

// ---- The table.

// One way of converting a record: converts record i, OK or not.
struct Row {
  std::string name;
  std::function<bool(size_t i)> convert;
};

struct Section {
  std::string title;
  std::vector<Row> rows;  // The first is the baseline.
};

// CPU time of this thread: the machine may be shared, and a row's cost is
// what it computes.
double CpuNanos() {
  timespec now;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return now.tv_sec * 1e9 + now.tv_nsec;
}

double NanosPerRecord(const Row& row, size_t records, int repeat) {
  double best = 1e300;
  for (int run = 0; run < repeat; ++run) {
    const double start = CpuNanos();
    for (size_t i = 0; i < records; ++i) {
      if (!row.convert(i)) {
        std::fprintf(stderr, "json_bench: %s fails on record %zu\n",
                     row.name.c_str(), i);
        std::exit(1);
      }
    }
    best = std::min(best, (CpuNanos() - start) / records);
  }
  return best;
}

void PrintSection(const Section& section, size_t records, int repeat) {
  std::printf("\n%s\n  %-52s %12s %9s\n", section.title.c_str(), "",
              "CPU ns/rec", "speedup");
  double baseline = 0;
  for (const Row& row : section.rows) {
    if (!absl::StrContains(row.name, absl::GetFlag(FLAGS_rows))) continue;
    const double ns = NanosPerRecord(row, records, repeat);
    if (baseline == 0) baseline = ns;
    std::printf("  %-52s %12.0f %8.1fx\n", row.name.c_str(), ns, baseline / ns);
    std::fflush(stdout);
  }
}

// What every row reads and writes: the records as wire bytes, one after
// the other as in LMDB's pages, and as protobuf's JSON; one output buffer,
// reused.
struct Data {
  std::string pages;
  std::vector<absl::string_view> wire;
  std::vector<std::string> json;
  std::string out;
  Permit scratch;
};

// `records` random Permits, each printed by both printers alike (else
// exits).
void MakeRecords(size_t records, const lmdbapi::json::JsonPrinter& printer,
                 Data* data) {
  std::mt19937 rng(1);
  std::vector<size_t> ends;
  for (size_t i = 0; i < records; ++i) {
    Permit permit = RandomPermit(rng);
    const std::string wire = permit.SerializeAsString();
    data->pages += wire;
    ends.push_back(data->pages.size());
    std::string json, ours;
    (void)google::protobuf::util::MessageToJsonString(permit, &json);
    if (!printer.Print(wire, &ours).ok() || ours != json) {
      std::fprintf(stderr, "json_bench: printers differ:\n%s\n%s\n",
                   json.c_str(), ours.c_str());
      std::exit(1);
    }
    data->json.push_back(std::move(json));
  }
  for (size_t i = 0; i < records; ++i) {
    const size_t begin = i == 0 ? 0 : ends[i - 1];
    data->wire.push_back(
        absl::string_view(data->pages).substr(begin, ends[i] - begin));
  }
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const size_t records = std::max(1, absl::GetFlag(FLAGS_records));
  const int repeat = std::max(1, absl::GetFlag(FLAGS_repeat));
  auto* resolver = google::protobuf::util::NewTypeResolverForDescriptorPool(
      "type.googleapis.com",
      google::protobuf::DescriptorPool::generated_pool());
  const std::string url =
      absl::StrCat("type.googleapis.com/", Permit::descriptor()->full_name());
  auto printer = lmdbapi::json::JsonPrinter::Create(Permit::descriptor());
  if (!printer.ok()) {
    std::fprintf(stderr, "json_bench: %s\n",
                 printer.status().ToString().c_str());
    return 1;
  }
  Data data;
  MakeRecords(records, **printer, &data);
  std::printf("%zu example-schema Permits (%zu bytes on average), best of %d\n",
              records, data.pages.size() / records, repeat);

  std::vector<Section> sections;
  sections.push_back(
      {"wire -> JSON (lmdbapi export)",
       {{"protobuf: ParseFromArray + MessageToJsonString",
         [&](size_t i) {
           data.out.clear();
           return data.scratch.ParseFromArray(data.wire[i].data(),
                                              data.wire[i].size()) &&
                  google::protobuf::util::MessageToJsonString(data.scratch,
                                                              &data.out)
                      .ok();
         }},
        {"protobuf: BinaryToJsonStream, a kept TypeResolver",
         [&](size_t i) {
           data.out.clear();
           google::protobuf::io::ArrayInputStream in(data.wire[i].data(),
                                                     data.wire[i].size());
           google::protobuf::io::StringOutputStream out(&data.out);
           return google::protobuf::util::BinaryToJsonStream(resolver, url, &in,
                                                             &out)
               .ok();
         }},
        {"json::JsonPrinter::Print", [&](size_t i) {
           data.out.clear();
           return (*printer)->Print(data.wire[i], &data.out).ok();
         }}}});
  // JSON -> wire (lmdbapi import): protobuf's JsonStringToMessage +
  // SerializeToString against json::JsonParser::Parse go here, as a second
  // Section reading data.json.
  for (const Section& section : sections)
    PrintSection(section, records, repeat);
  delete resolver;
  return 0;
}
