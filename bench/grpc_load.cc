// grpc_load: a gRPC load generator on the callback API. Keeps --in_flight
// unary calls outstanding for --seconds (and at most --max_calls) against one
// workload, then prints one line of JSON: calls, errors, QPS and latency
// percentiles in µs of the calls that succeeded; errors by gRPC code and the
// latency percentiles of the failed calls (e.g. refusals under overload). Calls
// go through grpc::GenericStub with pre-serialized requests, so the client
// costs the same whatever the server: lmdbapi, the empty-handler server
// (bench/empty_server.cc) or etcd. With --rate, calls start at that pace
// (at most --in_flight at once) instead of as soon as a slot frees: the
// server's CPU per call at a load the caller sets, the same for every row.
//
//   grpc_load --target=127.0.0.1:50051 --workload=get --in_flight=64
//   --seconds=5
//
// Workloads (lmdbapi's permits schema unless stated):
//   fill      BatchInsert --records permits (1000 per call); writes their uuids
//             to --uuids_out. Clients "c<i % (records/10)>", county "NY": a
//             composite prefix (client, county) matches 10 records.
//   get       Get of a random uuid from --uuids (the file `fill` wrote)
//   insert    Insert of a new permit with a unique permit_number (the unique
//             index and the two others are maintained)
//   filter    Filter by client and county (composite prefix), page_size 10
//   filter_text  the same as a filter string (`client = "c42" AND county =
//             "NY"`): each call a new value of one shape
//   count     Count by client and county (as `filter`: 10 records match)
//   filter_n  Filter by county "NY" (every filled record), page_size
//             --page_size: the first --page_size records of the prefix, to
//             see what each returned record costs
//   commit1   Transactions/Commit of one insert (as `insert`)
//   commit_order  Commit of a permit and 10 processing statuses under it
//   mix       get, insert and filter with the weights of --mix
//   etcd_fill, etcd_put, etcd_range   etcd's KV Put / Range, 200-byte values
//   etcd_srange                       etcd's serializable Range (the member
//                                     asked answers from what it applied)
//             over --records keys ("key-000042")
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "bench/etcd_kv.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/support/byte_buffer.h"
#include "proto/examples/permits_service.pb.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50051", "gRPC server address");
ABSL_FLAG(
    std::string, workload, "get",
    "fill, get, insert, update, filter, filter_text, filter_n, count, mix, "
    "commit1, commit_order, "
    "etcd_fill, etcd_put, etcd_range, etcd_srange");
ABSL_FLAG(int, in_flight, 64, "calls outstanding at any time");
ABSL_FLAG(double, seconds, 5, "duration of the run");
ABSL_FLAG(int64_t, max_calls, 10'000'000, "stop after this many calls");
ABSL_FLAG(int64_t, records, 10000, "records (fill) or keys (etcd_*)");
ABSL_FLAG(std::string, uuids, "", "file of uuids, one per line (get)");
ABSL_FLAG(std::string, uuids_out, "", "fill writes the stored uuids here");
ABSL_FLAG(int, page_size, 100, "page size of the filter_n workload");
ABSL_FLAG(double, rate, 0,
          "calls started per second, paced (at most --in_flight at once); "
          "0: each slot starts its next call as soon as its last ends");
ABSL_FLAG(int, channels, 2, "TCP connections to spread the calls over");
ABSL_FLAG(std::string, mix, "get:80,insert:15,filter:5",
          "--workload=mix: operations and their weights");
ABSL_FLAG(std::string, service, "lmdbapi.examples.permits.Permits",
          "gRPC service of the permits workloads");

namespace {

using Clock = std::chrono::steady_clock;
namespace permits = lmdbapi::examples::permits;

grpc::ByteBuffer Serialize(const google::protobuf::Message& m) {
  std::string bytes = m.SerializeAsString();
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

// A workload: the full method name and a maker of the i-th request.
struct Workload {
  std::string method;
  std::function<grpc::ByteBuffer(int64_t i, std::mt19937_64& rng)> request;
  std::function<void(const grpc::ByteBuffer&)> on_reply;  // optional
  // A mix: each call is one of `parts`, chosen with these weights.
  std::vector<Workload> parts;
  std::vector<int> weights;

  const Workload& Pick(std::mt19937_64& rng) const {
    if (parts.empty()) return *this;
    int total = 0;
    for (int w : weights) total += w;
    int roll = static_cast<int>(rng() % total);
    for (size_t i = 0; i < parts.size(); ++i) {
      if ((roll -= weights[i]) < 0) return parts[i];
    }
    return parts.back();
  }
};

std::vector<std::string> ReadLines(const std::string& path) {
  std::vector<std::string> lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

permits::Permit NewPermit(int64_t i, int64_t records) {
  permits::Permit p;
  p.set_permit_number(
      absl::StrCat("P-", i, "-", Clock::now().time_since_epoch().count()));
  p.set_client(absl::StrCat("c", i % std::max<int64_t>(1, records / 10)));
  p.set_county("NY");
  p.set_county_status("Active");
  p.set_status(permits::APPROVED);
  p.set_address(absl::StrCat(i, " Main Street, Springfield"));
  p.set_fee_cents(100 * (i % 1000));
  p.mutable_issued()->set_seconds(1700000000 + i);
  return p;
}

std::string EtcdKey(int64_t k) { return absl::StrFormat("key-%06d", k); }

// The p-th fraction of sorted `values` (0 when empty).
int64_t Percentile(const std::vector<int64_t>& values, double p) {
  if (values.empty()) return 0;
  return values[std::min(values.size() - 1,
                         static_cast<size_t>(p * values.size()))];
}

class Recorder {
 public:
  void Add(int64_t micros, grpc::StatusCode code) {
    std::lock_guard<std::mutex> lock(mu_);
    if (code == grpc::StatusCode::OK) {
      latencies_.push_back(micros);
    } else {
      ++errors_;
      ++by_code_[code];
      error_latencies_.push_back(micros);
      if (first_error_.empty()) first_error_ = last_error_;
    }
  }
  void NoteError(const std::string& e) {
    std::lock_guard<std::mutex> lock(mu_);
    last_error_ = e;
  }
  std::string Json(double seconds) {
    std::lock_guard<std::mutex> lock(mu_);
    std::sort(latencies_.begin(), latencies_.end());
    std::sort(error_latencies_.begin(), error_latencies_.end());
    auto pct = [&](double p) { return Percentile(latencies_, p); };
    auto error_pct = [&](double p) { return Percentile(error_latencies_, p); };
    std::string err = first_error_;
    std::replace(err.begin(), err.end(), '"', '\'');
    std::string by_code;
    for (const auto& [code, n] : by_code_) {
      absl::StrAppend(&by_code, by_code.empty() ? "" : ", ", "\"", code,
                      "\": ", n);
    }
    return absl::StrFormat(
        "{\"calls\": %d, \"errors\": %d, \"seconds\": %.3f, \"qps\": %.1f, "
        "\"p50_us\": %d, \"p90_us\": %d, \"p99_us\": %d, \"p999_us\": %d, "
        "\"errors_by_code\": {%s}, \"error_p50_us\": %d, "
        "\"error_p99_us\": %d, \"first_error\": \"%s\"}",
        latencies_.size(), errors_, seconds, latencies_.size() / seconds,
        pct(0.50), pct(0.90), pct(0.99), pct(0.999), by_code, error_pct(0.50),
        error_pct(0.99), err);
  }

 private:
  std::mutex mu_;
  std::vector<int64_t> latencies_, error_latencies_;
  std::map<int, int64_t> by_code_;
  int64_t errors_ = 0;
  std::string first_error_, last_error_;
};

// Keeps one call outstanding per slot until the deadline or the call budget;
// with a rate, starts call i no earlier than i / rate seconds after the first
// (a slot freed early waits for its turn, on the pacing thread).
class Driver {
 public:
  Driver(std::vector<std::unique_ptr<grpc::GenericStub>>* stubs,
         const Workload& w, Clock::time_point deadline, int64_t max_calls,
         double rate, Recorder* recorder)
      : stubs_(stubs),
        w_(w),
        deadline_(deadline),
        max_calls_(max_calls),
        rate_(rate),
        recorder_(recorder) {}

  void Run(int in_flight) {
    if (rate_ > 0) {
      for (int s = 0; s < in_flight; ++s) free_.push_back(s);
      Pace();
    } else {
      for (int s = 0; s < in_flight; ++s) Next(s);
    }
    std::unique_lock<std::mutex> lock(mu_);
    done_.wait(lock, [&] { return started_ == finished_ && stopped_; });
  }

 private:
  struct Call {
    grpc::ClientContext context;
    grpc::ByteBuffer request, reply;
    Clock::time_point start;
  };

  // The next call's number, or -1 once the run is over. Requires mu_.
  int64_t Reserve() {
    if (Clock::now() >= deadline_ || next_ >= max_calls_) {
      stopped_ = true;
      if (started_ == finished_) done_.notify_all();
      return -1;
    }
    ++started_;
    return next_++;
  }

  // Starts call i on each free slot at its time until the run is over.
  void Pace() {
    const Clock::time_point first = Clock::now();
    for (;;) {
      std::unique_lock<std::mutex> lock(mu_);
      const auto due = first + std::chrono::nanoseconds(static_cast<int64_t>(
                                   static_cast<double>(next_) * 1e9 / rate_));
      lock.unlock();
      std::this_thread::sleep_until(std::min(due, deadline_));
      lock.lock();
      freed_.wait_until(lock, deadline_, [&] { return !free_.empty(); });
      const int64_t i = Reserve();
      if (i < 0) return;
      const int slot = free_.back();
      free_.pop_back();
      lock.unlock();
      Start(slot, i);
    }
  }

  void Next(int slot) {
    int64_t i;
    {
      std::lock_guard<std::mutex> lock(mu_);
      i = Reserve();
    }
    if (i >= 0) Start(slot, i);
  }

  void Start(int slot, int64_t i) {
    thread_local std::mt19937_64 rng(std::random_device{}());
    auto* call = new Call;
    const Workload& w = w_.Pick(rng);
    call->request = w.request(i, rng);
    call->context.set_deadline(std::chrono::system_clock::now() +
                               std::chrono::seconds(30));
    call->start = Clock::now();
    auto& stub = *(*stubs_)[slot % stubs_->size()];
    stub.UnaryCall(&call->context, w.method, grpc::StubOptions(),
                   &call->request, &call->reply,
                   [this, call, slot, &w](grpc::Status status) {
                     int64_t micros =
                         std::chrono::duration_cast<std::chrono::microseconds>(
                             Clock::now() - call->start)
                             .count();
                     if (!status.ok()) {
                       recorder_->NoteError(absl::StrCat(
                           status.error_code(), ": ", status.error_message()));
                     } else if (w.on_reply) {
                       w.on_reply(call->reply);
                     }
                     recorder_->Add(micros, status.error_code());
                     delete call;
                     Finished(slot);
                   });
  }

  void Finished(int slot) {
    if (rate_ <= 0) Next(slot);
    std::lock_guard<std::mutex> lock(mu_);
    if (rate_ > 0) {
      free_.push_back(slot);
      freed_.notify_one();
    }
    ++finished_;
    if (stopped_ && started_ == finished_) done_.notify_all();
  }

  std::vector<std::unique_ptr<grpc::GenericStub>>* stubs_;
  const Workload& w_;
  Clock::time_point deadline_;
  int64_t max_calls_;
  double rate_;  // calls started per second; 0: as fast as the slots allow
  Recorder* recorder_;
  std::mutex mu_;
  std::condition_variable done_, freed_;
  std::vector<int> free_;  // with a rate: the slots with no call in flight
  int64_t next_ = 0, started_ = 0, finished_ = 0;
  bool stopped_ = false;
};

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string workload = absl::GetFlag(FLAGS_workload);
  const std::string service = "/" + absl::GetFlag(FLAGS_service) + "/";
  const int64_t records = absl::GetFlag(FLAGS_records);
  int64_t max_calls = absl::GetFlag(FLAGS_max_calls);
  int in_flight = absl::GetFlag(FLAGS_in_flight);

  std::vector<std::string> uuids;
  std::mutex uuids_mu;
  std::vector<std::string> stored;  // fill
  // The permits workloads a mix is made of.
  auto simple = [&](const std::string& name) {
    Workload w;
    if (name == "get") {
      w.method = service + "Get";
      w.request = [&uuids](int64_t, std::mt19937_64& rng) {
        permits::GetPermitRequest req;
        req.set_uuid(uuids[rng() % uuids.size()]);
        return Serialize(req);
      };
    } else if (name == "insert") {
      w.method = service + "Insert";
      w.request = [records](int64_t i, std::mt19937_64&) {
        permits::InsertPermitRequest req;
        *req.mutable_permit() = NewPermit(i, records);
        return Serialize(req);
      };
    } else if (name == "update") {  // a stored permit replaced whole
      w.method = service + "Update";
      w.request = [&uuids, records](int64_t i, std::mt19937_64& rng) {
        permits::UpdatePermitRequest req;
        *req.mutable_permit() = NewPermit(i, records);
        req.mutable_permit()->set_uuid(uuids[rng() % uuids.size()]);
        return Serialize(req);
      };
    } else if (name == "commit1" || name == "commit_order") {
      // Transactions/Commit of the insert above alone, or of that permit
      // and 10 processing statuses under it (an order and its lines).
      w.method = absl::StrCat(
          "/", permits::CommitRequest::descriptor()->file()->package(),
          ".Transactions/Commit");
      int lines = name == "commit1" ? 0 : 10;
      w.request = [records, lines](int64_t i, std::mt19937_64&) {
        permits::CommitRequest req;
        *req.add_writes()->mutable_insert_permit()->mutable_permit() =
            NewPermit(i, records);
        for (int l = 0; l < lines; ++l) {
          permits::CommitWrite* write = req.add_writes();
          auto* status = write->mutable_insert_processing_status()
                             ->mutable_processing_status();
          status->set_stage(absl::StrCat("line-", l));
          status->set_note("ordered");
          auto* ref = write->add_key_refs();
          ref->set_field("permit_uuid");
          ref->set_write(0);
        }
        return Serialize(req);
      };
    } else if (name == "filter") {
      w.method = service + "Filter";
      w.request = [records](int64_t, std::mt19937_64& rng) {
        permits::FilterPermitsRequest req;
        req.set_page_size(10);
        req.mutable_client()->set_value(
            absl::StrCat("c", rng() % std::max<int64_t>(1, records / 10)));
        req.mutable_county()->set_value("NY");
        return Serialize(req);
      };
    } else if (name == "filter_text") {
      w.method = service + "Filter";
      w.request = [records](int64_t, std::mt19937_64& rng) {
        permits::FilterPermitsRequest req;
        req.set_page_size(10);
        req.set_filter(absl::StrCat("client = \"c",
                                    rng() % std::max<int64_t>(1, records / 10),
                                    "\" AND county = \"NY\""));
        return Serialize(req);
      };
    } else if (name == "count") {
      w.method = service + "Count";
      w.request = [records](int64_t, std::mt19937_64& rng) {
        permits::CountPermitsRequest req;
        req.mutable_client()->set_value(
            absl::StrCat("c", rng() % std::max<int64_t>(1, records / 10)));
        req.mutable_county()->set_value("NY");
        return Serialize(req);
      };
    } else if (name == "filter_n") {
      w.method = service + "Filter";
      w.request = [page_size = absl::GetFlag(FLAGS_page_size)](
                      int64_t, std::mt19937_64&) {
        permits::FilterPermitsRequest req;
        req.set_page_size(page_size);
        req.mutable_county()->set_value("NY");
        return Serialize(req);
      };
    }
    return w;
  };
  if (!absl::GetFlag(FLAGS_uuids).empty()) {
    uuids = ReadLines(absl::GetFlag(FLAGS_uuids));
  }
  bool needs_uuids =
      workload == "get" || workload == "update" ||
      (workload == "mix" && absl::StrContains(absl::GetFlag(FLAGS_mix), "get"));
  if (needs_uuids && uuids.empty()) {
    std::fprintf(stderr,
                 "grpc_load: --uuids names no uuids (run --workload=fill "
                 "first)\n");
    return 2;
  }
  Workload w;
  if (workload == "fill") {
    w.method = service + "BatchInsert";
    max_calls = (records + 999) / 1000;
    w.request = [records](int64_t i, std::mt19937_64&) {
      permits::BatchInsertPermitsRequest req;
      for (int64_t j = i * 1000; j < std::min(records, (i + 1) * 1000); ++j) {
        *req.add_permits() = NewPermit(j, records);
      }
      return Serialize(req);
    };
    w.on_reply = [&](const grpc::ByteBuffer& reply) {
      std::vector<grpc::Slice> slices;
      (void)reply.Dump(&slices);
      std::string bytes;
      for (auto& s : slices)
        bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
      permits::BatchInsertPermitsResponse resp;
      resp.ParseFromString(bytes);
      std::lock_guard<std::mutex> lock(uuids_mu);
      for (const auto& p : resp.permits()) stored.push_back(p.uuid());
    };
  } else if (workload == "get" || workload == "insert" ||
             workload == "update" || workload == "filter" ||
             workload == "filter_text" || workload == "filter_n" ||
             workload == "count" || workload == "commit1" ||
             workload == "commit_order") {
    w = simple(workload);
  } else if (workload == "mix") {
    for (absl::string_view part :
         absl::StrSplit(absl::GetFlag(FLAGS_mix), ',')) {
      std::pair<std::string, std::string> kv = absl::StrSplit(part, ':');
      int weight = 0;
      Workload one = simple(kv.first);
      if (one.method.empty() || !absl::SimpleAtoi(kv.second, &weight) ||
          weight <= 0) {
        std::fprintf(stderr, "grpc_load: bad --mix part '%s'\n",
                     std::string(part).c_str());
        return 2;
      }
      w.parts.push_back(std::move(one));
      w.weights.push_back(weight);
    }
  } else if (workload == "etcd_fill" || workload == "etcd_put") {
    w.method = "/etcdserverpb.KV/Put";
    if (workload == "etcd_fill") max_calls = records;
    bool fill = workload == "etcd_fill";
    w.request = [records, fill](int64_t i, std::mt19937_64& rng) {
      etcdserverpb::PutRequest req;
      req.set_key(EtcdKey(fill ? i : static_cast<int64_t>(rng() % records)));
      req.set_value(std::string(200, static_cast<char>('a' + i % 26)));
      return Serialize(req);
    };
  } else if (workload == "etcd_range" || workload == "etcd_srange") {
    w.method = "/etcdserverpb.KV/Range";
    const bool serializable = workload == "etcd_srange";
    w.request = [records, serializable](int64_t, std::mt19937_64& rng) {
      etcdserverpb::RangeRequest req;
      req.set_key(EtcdKey(rng() % records));
      req.set_serializable(serializable);
      return Serialize(req);
    };
  } else {
    std::fprintf(stderr, "grpc_load: unknown --workload=%s\n",
                 workload.c_str());
    return 2;
  }
  if (workload == "fill" || workload == "etcd_fill") {
    in_flight =
        std::min<int64_t>(in_flight, workload == "fill" ? 2 : in_flight);
  }

  std::vector<std::unique_ptr<grpc::GenericStub>> stubs;
  for (int c = 0; c < absl::GetFlag(FLAGS_channels); ++c) {
    grpc::ChannelArguments args;
    args.SetInt("lmdbapi.bench.channel",
                c);  // distinct channels: distinct connections
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetMaxReceiveMessageSize(64 << 20);
    auto channel = grpc::CreateCustomChannel(
        absl::GetFlag(FLAGS_target), grpc::InsecureChannelCredentials(), args);
    if (!channel->WaitForConnected(std::chrono::system_clock::now() +
                                   std::chrono::seconds(10))) {
      std::fprintf(stderr, "grpc_load: cannot connect to %s\n",
                   absl::GetFlag(FLAGS_target).c_str());
      return 1;
    }
    stubs.push_back(std::make_unique<grpc::GenericStub>(channel));
  }

  Recorder recorder;
  auto start = Clock::now();
  auto deadline = start + std::chrono::microseconds(static_cast<int64_t>(
                              absl::GetFlag(FLAGS_seconds) * 1e6));
  if (workload == "fill" || workload == "etcd_fill") {
    deadline = start + std::chrono::hours(1);
  }
  Driver(&stubs, w, deadline, max_calls, absl::GetFlag(FLAGS_rate), &recorder)
      .Run(in_flight);
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("%s\n", recorder.Json(seconds).c_str());
  if (!absl::GetFlag(FLAGS_uuids_out).empty()) {
    std::ofstream out(absl::GetFlag(FLAGS_uuids_out));
    for (const auto& u : stored) out << u << "\n";
  }
  return 0;
}
