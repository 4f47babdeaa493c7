// libFuzzer: any bytes, as the request of any unary or client-streaming
// method of the permits server's services, reach the real services in process
// (real LMDB, gRPC): no crash, no UNKNOWN/INTERNAL/DATA_LOSS/UNIMPLEMENTED,
// and a write answered OK stored what the request said.
//
// Input: byte 0 picks the method (modulo their number; the table is printed
// at start), the rest is the request as sent. For Import the rest is cut
// into up to four messages at the bytes 0xff 0xfe 0xfd (a seed's messages
// are joined so). Left out: the server-streaming Watch and Export, and
// Admin.Backup, which writes copies of the data outside the fuzzed directory.
// Read back with Get: Insert, Update, BatchInsert, Patch (masked fields the
// request's, others unchanged), Delete (gone), Import (when nothing was
// skipped: each keyed record), Commit without deletes (each key's last
// Insert or Update). Every 512 inputs the database is verified
// (Database::Verify, behind --verify and Admin Verify); every 8192 a fresh
// one replaces it, so long runs stay bounded. TABLE_REQUEST_FUZZ_VERBOSE=1
// logs each call's status.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/message.h"
#include "google/protobuf/util/field_mask_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "proto/examples/permits.lmdbapi.h"
#include "proto/lmdbapi/admin.grpc.pb.h"
#include "server/process/serve.h"
#include "server/process/table_services.h"
#include "server/schema.h"
#include "server/table/parse_errors.h"
#include "server/table/write_conditions.h"
#include "storage/database.h"

namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::MethodDescriptor;
namespace server = lmdbapi::server;
namespace storage = lmdbapi::storage;

constexpr int kVerifyEvery = 512;
constexpr int kFreshEvery = 8192;

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "table_request_fuzz: %s\n", what.c_str());
  std::fflush(stderr);
  __builtin_trap();
}

std::unique_ptr<Message> New(const Descriptor* type) {
  return std::unique_ptr<Message>(
      google::protobuf::MessageFactory::generated_factory()
          ->GetPrototype(type)
          ->New());
}

// A fuzzed method and what it serves.
struct Method {
  const MethodDescriptor* descriptor;
  std::string path;                   // "/pkg.Service/Method"
  const storage::TableSchema* table;  // nullptr: not a table's
  const google::protobuf::ServiceDescriptor* service;
};

struct Reply {
  grpc::Status status;
  std::vector<std::string> messages;
};

// The permits server's services, wired by server/process/table_services.h
// as server_main wires them (open access), served in process: its database
// in `dir`, no listening port.
class Server {
 public:
  explicit Server(const std::string& dir) {
    schema_ = lmdbapi::examples::permits::LmdbapiSchema();
    if (!server::DeclareTables(&schema_).ok()) Fail("schema");
    storage::DatabaseOptions options;
    options.env.path = dir;
    options.env.map_size_bytes = 64 << 20;
    options.env.max_map_size_bytes = 1 << 30;
    options.env.durability = storage::Durability::kNoSync;
    auto db = storage::Database::Open(options, schema_.tables);
    if (!db.ok()) Fail("open: " + db.status().ToString());
    db_ = *std::move(db);
    server::Config config;
    config.backup_dir = dir + ".backup";
    services_ =
        std::make_unique<server::TableServices>(db_.get(), nullptr, config);
    db_->writer().set_on_commit([this] { services_->feed.Notify(); });
    absl::Status added = server::AddServices(config, schema_, *db_, *services_);
    if (!added.ok()) Fail(added.ToString());
    for (const server::ServiceBinding& binding : schema_.services) {
      tables[binding.full_name] = &db_->table(binding.collection)->schema();
    }
    Start();
  }
  ~Server() {
    services_->feed.Close();
    server_->Shutdown(std::chrono::system_clock::now() +
                      std::chrono::seconds(5));
    server_->Wait();
    server_.reset();
    db_.reset();  // before the services, whose answer queue answers the rest
    services_.reset();
  }

  const server::Schema& schema() const { return schema_; }
  storage::Database& db() { return *db_; }
  grpc::GenericStub& stub() { return *stub_; }
  // The table a generated service serves, by its full name.
  std::map<std::string, const storage::TableSchema*> tables;

 private:
  void Start() {
    grpc::ServerBuilder builder;
    for (grpc::Service* service : services_->Registered()) {
      builder.RegisterService(service);
    }
    std::vector<
        std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
        interceptors;
    interceptors.push_back(
        server::ParseErrorInterceptor(server::ServedServiceNames(schema_)));
    builder.experimental().SetInterceptorCreators(std::move(interceptors));
    server_ = builder.BuildAndStart();
    if (server_ == nullptr) Fail("the server did not start");
    stub_ = std::make_unique<grpc::GenericStub>(
        server_->InProcessChannel(grpc::ChannelArguments()));
  }

  server::Schema schema_;
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<server::TableServices> services_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<grpc::GenericStub> stub_;
};

bool Next(grpc::CompletionQueue& queue) {
  void* tag;
  bool ok = false;
  if (!queue.Next(&tag, &ok)) Fail("completion queue shut down");
  return ok;
}

// Sends `requests` as they are, then reads every answer, on one call.
Reply Call(grpc::GenericStub& stub, const std::string& path,
           const std::vector<std::string>& requests,
           std::chrono::milliseconds deadline) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + deadline);
  grpc::CompletionQueue queue;
  Reply reply;
  auto call = stub.PrepareCall(&context, path, &queue);
  call->StartCall(nullptr);
  bool open = Next(queue);
  for (const std::string& request : requests) {
    if (!open) break;
    grpc::Slice slice(request);
    grpc::ByteBuffer buffer(&slice, 1);
    call->Write(buffer, nullptr);
    open = Next(queue);
  }
  if (open) {
    call->WritesDone(nullptr);
    Next(queue);
  }
  for (grpc::ByteBuffer buffer;;) {
    call->Read(&buffer, nullptr);
    if (!Next(queue)) break;
    grpc::Slice slice;
    if (!buffer.TrySingleSlice(&slice).ok() &&
        !buffer.DumpToSingleSlice(&slice).ok())
      Fail(path + ": an answer that cannot be read");
    reply.messages.emplace_back(reinterpret_cast<const char*>(slice.begin()),
                                slice.size());
  }
  call->Finish(&reply.status, nullptr);
  Next(queue);
  queue.Shutdown();
  void* tag;
  bool ok;
  while (queue.Next(&tag, &ok)) {
  }
  return reply;
}

std::vector<Method> MethodsOf(const Server& s) {
  std::vector<std::string> names = server::SchemaServiceNames(s.schema());
  names.push_back("lmdbapi.admin.v1.Admin");
  std::vector<Method> methods;
  for (const std::string& name : names) {
    const auto* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
            name);
    if (service == nullptr) Fail("no service " + name);
    auto table = s.tables.find(name);
    for (int i = 0; i < service->method_count(); ++i) {
      const MethodDescriptor* m = service->method(i);
      if (m->server_streaming() ||
          m->full_name() == "lmdbapi.admin.v1.Admin.Backup")
        continue;
      methods.push_back({m, "/" + name + "/" + m->name(),
                         table == s.tables.end() ? nullptr : table->second,
                         service});
    }
  }
  for (size_t i = 0; i < methods.size(); ++i)
    std::fprintf(stderr, "table_request_fuzz: method %zu: %s\n", i,
                 methods[i].path.c_str());
  return methods;
}

// The Import request of `bytes`: up to four messages cut at 0xff 0xfe 0xfd.
std::vector<std::string> Messages(const Method& method, std::string bytes) {
  if (!method.descriptor->client_streaming()) return {bytes};
  std::vector<std::string> out;
  static const std::string kCut("\xff\xfe\xfd", 3);
  for (size_t cut; out.size() < 3 && (cut = bytes.find(kCut)) != bytes.npos;) {
    out.push_back(bytes.substr(0, cut));
    bytes.erase(0, cut + kCut.size());
  }
  out.push_back(bytes);
  return out;
}

bool IsBadCode(grpc::StatusCode code) {
  return code == grpc::StatusCode::UNKNOWN ||
         code == grpc::StatusCode::INTERNAL ||
         code == grpc::StatusCode::DATA_LOSS ||
         code == grpc::StatusCode::UNIMPLEMENTED;
}

std::string Describe(const grpc::Status& status) {
  return std::to_string(status.error_code()) + " " + status.error_message();
}

// The oracle: what a write answered OK must have stored.

void ClearRef(const storage::FieldRef& ref, Message* record) {
  if (ref.field == nullptr) return;
  Message* m = record;
  for (const FieldDescriptor* f : ref.path) {
    if (!m->GetReflection()->HasField(*m, f)) return;
    m = m->GetReflection()->MutableMessage(m, f);
  }
  m->GetReflection()->ClearField(m, ref.field);
}

// `record` without what the server keeps (revision, create and update
// times) and, in `also`, what the request did not set itself.
std::unique_ptr<Message> ClientFields(
    const storage::TableSchema& table, const Message& record,
    const std::vector<const FieldDescriptor*>& also = {}) {
  std::unique_ptr<Message> copy(record.New());
  copy->CopyFrom(record);
  copy->DiscardUnknownFields();
  for (const storage::FieldRef* ref :
       {&table.revision, &table.create_time, &table.update_time})
    ClearRef(*ref, copy.get());
  for (const FieldDescriptor* f : also)
    copy->GetReflection()->ClearField(copy.get(), f);
  return copy;
}

bool Same(const Message& a, const Message& b) {
  google::protobuf::util::MessageDifferencer differ;
  differ.set_message_field_comparison(
      google::protobuf::util::MessageDifferencer::EQUIVALENT);
  return differ.Compare(a, b);
}

std::string PrimaryKey(const storage::TableSchema& table,
                       const Message& record) {
  return record.GetReflection()->GetString(record, table.primary_key.field);
}

// The stored record of `key` (status NOT_FOUND when there is none), by the
// table's own Get.
std::unique_ptr<Message> Get(grpc::GenericStub& stub, const Method& method,
                             const std::string& key, grpc::Status* status) {
  const MethodDescriptor* get = method.service->FindMethodByName("Get");
  std::unique_ptr<Message> request = New(get->input_type());
  request->GetReflection()->SetString(
      request.get(), get->input_type()->FindFieldByNumber(1), key);
  Reply reply = Call(stub, "/" + method.service->full_name() + "/Get",
                     {request->SerializeAsString()}, std::chrono::seconds(10));
  *status = reply.status;
  std::unique_ptr<Message> record = New(method.table->descriptor);
  if (status->ok() && (reply.messages.size() != 1 ||
                       !record->ParseFromString(reply.messages[0])))
    Fail(method.path + ": Get of " + key + " answered no record");
  return record;
}

// `wanted` (a request's record, its key filled) is what Get reads of it.
void CheckStored(grpc::GenericStub& stub, const Method& method,
                 const Message& wanted,
                 const std::vector<const FieldDescriptor*>& also = {}) {
  const storage::TableSchema& table = *method.table;
  std::string key = PrimaryKey(table, wanted);
  grpc::Status status;
  std::unique_ptr<Message> stored = Get(stub, method, key, &status);
  if (!status.ok())
    Fail(method.path + " answered OK, then Get " + key + ": " +
         Describe(status));
  auto a = ClientFields(table, wanted, also);
  auto b = ClientFields(table, *stored, also);
  if (!Same(*a, *b))
    Fail(method.path + " stored {" + b->ShortDebugString() +
         "} for the request's {" + a->ShortDebugString() + "}");
}

// The records of a repeated field of `request` (BatchInsert, Import).
std::vector<const Message*> Records(const Message& request, int number) {
  const FieldDescriptor* f = request.GetDescriptor()->FindFieldByNumber(number);
  std::vector<const Message*> out;
  for (int i = 0; i < request.GetReflection()->FieldSize(request, f); ++i)
    out.push_back(&request.GetReflection()->GetRepeatedMessage(request, f, i));
  return out;
}

// `record` with its key set to `key` when it had none (the server made it).
std::unique_ptr<Message> Keyed(const storage::TableSchema& table,
                               const Message& record, const std::string& key) {
  std::unique_ptr<Message> copy(record.New());
  copy->CopyFrom(record);
  if (PrimaryKey(table, *copy).empty())
    copy->GetReflection()->SetString(copy.get(), table.primary_key.field, key);
  return copy;
}

std::unique_ptr<Message> Parsed(const Descriptor* type,
                                const std::string& bytes,
                                const std::string& what) {
  std::unique_ptr<Message> m = New(type);
  if (!m->ParseFromString(bytes)) Fail(what + " does not parse");
  return m;
}

const Message& Field1(const Message& request) {
  return request.GetReflection()->GetMessage(
      request, request.GetDescriptor()->FindFieldByNumber(1));
}

// Insert and Update: the request's record; the answer names its key.
void CheckWrite(grpc::GenericStub& stub, const Method& method,
                const Message& request, const Reply& reply) {
  if (reply.messages.size() != 1) Fail(method.path + ": OK, no answer");
  auto answer = Parsed(method.table->descriptor, reply.messages[0],
                       method.path + "'s answer");
  const Message& record = Field1(request);
  CheckStored(
      stub, method,
      *Keyed(*method.table, record, PrimaryKey(*method.table, *answer)));
}

void CheckBatchInsert(grpc::GenericStub& stub, const Method& method,
                      const Message& request, const Reply& reply) {
  auto answer = Parsed(method.descriptor->output_type(),
                       reply.messages.empty() ? "" : reply.messages[0],
                       method.path + "'s answer");
  std::vector<const Message*> asked = Records(request, 1);
  std::vector<const Message*> stored = Records(*answer, 1);
  if (asked.size() != stored.size())
    Fail(method.path + ": " + std::to_string(asked.size()) + " records, " +
         std::to_string(stored.size()) + " answered");
  std::map<std::string, std::unique_ptr<Message>> last;
  for (size_t i = 0; i < asked.size(); ++i) {
    auto keyed =
        Keyed(*method.table, *asked[i], PrimaryKey(*method.table, *stored[i]));
    std::string key = PrimaryKey(*method.table, *keyed);
    last[key] = std::move(keyed);
  }
  for (const auto& [key, record] : last) CheckStored(stub, method, *record);
}

// Import answered OK with nothing skipped: the last record of each key it
// named is stored (a record without a key gets one nobody is told).
void CheckImport(grpc::GenericStub& stub, const Method& method,
                 const std::vector<std::string>& messages, const Reply& reply) {
  auto answer = Parsed(method.descriptor->output_type(),
                       reply.messages.empty() ? "" : reply.messages[0],
                       method.path + "'s answer");
  const FieldDescriptor* skipped =
      answer->GetDescriptor()->FindFieldByName("skipped");
  if (answer->GetReflection()->FieldSize(*answer, skipped) > 0) return;
  std::vector<std::unique_ptr<Message>> requests;
  std::map<std::string, const Message*> last;
  for (const std::string& bytes : messages) {
    requests.push_back(Parsed(method.descriptor->input_type(), bytes,
                              method.path + "'s request"));
    for (const Message* record : Records(*requests.back(), 1)) {
      std::string key = PrimaryKey(*method.table, *record);
      if (!key.empty()) last[key] = record;
    }
  }
  for (const auto& [key, record] : last) CheckStored(stub, method, *record);
}

// Patch answered OK: the masked fields are the request's, the others what
// was stored before (`before`, null when Get found none: then the Patch
// cannot have been OK).
void CheckPatch(grpc::GenericStub& stub, const Method& method,
                const Message& request, const Message* before) {
  const storage::TableSchema& table = *method.table;
  const Message& patch = Field1(request);
  if (before == nullptr)
    Fail(method.path + ": OK on a record Get did not find");
  auto paths = server::PatchPaths(request, patch, table);
  if (!paths.ok()) Fail(method.path + ": OK, yet " + paths.status().ToString());
  grpc::Status status;
  auto stored = Get(stub, method, PrimaryKey(table, patch), &status);
  if (!status.ok()) Fail(method.path + ": OK, then Get: " + Describe(status));
  google::protobuf::FieldMask mask;
  std::vector<const FieldDescriptor*> masked;
  for (const std::string& path : *paths) {
    mask.add_paths(path);
    masked.push_back(
        table.descriptor->FindFieldByName(path.substr(0, path.find('.'))));
  }
  auto want = ClientFields(table, patch);
  auto got = ClientFields(table, *stored);
  google::protobuf::util::FieldMaskUtil::TrimMessage(mask, want.get());
  google::protobuf::util::FieldMaskUtil::TrimMessage(mask, got.get());
  if (!Same(*want, *got))
    Fail(method.path + " stored {" + got->ShortDebugString() +
         "} for the masked fields {" + want->ShortDebugString() + "}");
  auto kept = ClientFields(table, *before, masked);
  auto now = ClientFields(table, *stored, masked);
  if (!Same(*kept, *now))
    Fail(method.path + " changed unmasked fields: {" + now->ShortDebugString() +
         "} was {" + kept->ShortDebugString() + "}");
}

void CheckDeleted(grpc::GenericStub& stub, const Method& method,
                  const Message& request) {
  const Message& r = request;
  std::string key =
      r.GetReflection()->GetString(r, r.GetDescriptor()->FindFieldByNumber(1));
  grpc::Status status;
  Get(stub, method, key, &status);
  if (status.error_code() != grpc::StatusCode::NOT_FOUND)
    Fail(method.path + " answered OK, then Get " + key + ": " +
         Describe(status));
}

// One CommitWrite answered OK: the table it writes, its op, its record.
struct CommitWrite {
  int table = -1;
  int op = -1;  // commit_layout::Op
  const Message* record = nullptr;
  std::vector<const FieldDescriptor*> refs;  // fields set from other writes
};

CommitWrite ReadCommitWrite(const Message& write) {
  CommitWrite out;
  const auto* r = write.GetReflection();
  std::vector<const FieldDescriptor*> set;
  r->ListFields(write, &set);
  for (const FieldDescriptor* f : set) {
    if (f->number() < 16) continue;
    out.table = (f->number() - 16) / 4;
    out.op = (f->number() - 16) % 4;
    if (out.op <= 2) out.record = &Field1(r->GetMessage(write, f));
  }
  for (const Message* ref : Records(write, 1)) {
    std::string name = ref->GetReflection()->GetString(
        *ref, ref->GetDescriptor()->FindFieldByNumber(1));
    const FieldDescriptor* f =
        out.record == nullptr
            ? nullptr
            : out.record->GetDescriptor()->FindFieldByName(name);
    if (f != nullptr) out.refs.push_back(f);
  }
  return out;
}

// Commit answered OK with no delete (a parent's takes its children): the
// last Insert or Update of each key stored its record.
void CheckCommit(grpc::GenericStub& stub, const std::vector<Method>& table_gets,
                 const Message& request, const Reply& reply) {
  const MethodDescriptor* commit = request.GetDescriptor()
                                       ->file()
                                       ->FindServiceByName("Transactions")
                                       ->FindMethodByName("Commit");
  auto answer = Parsed(commit->output_type(),
                       reply.messages.empty() ? "" : reply.messages[0],
                       "Commit's answer");
  std::vector<const Message*> writes = Records(request, 2);
  std::vector<const Message*> results = Records(*answer, 2);
  if (writes.size() != results.size())
    Fail("Commit: " + std::to_string(writes.size()) + " writes, " +
         std::to_string(results.size()) + " results");
  std::map<std::pair<int, std::string>, std::pair<CommitWrite, std::string>>
      last;
  for (size_t i = 0; i < writes.size(); ++i) {
    CommitWrite w = ReadCommitWrite(*writes[i]);
    if (w.op == 3 || w.table < 0) return;
    std::string key = results[i]->GetReflection()->GetString(
        *results[i], results[i]->GetDescriptor()->FindFieldByNumber(2));
    last[{w.table, key}] = {w, key};
  }
  for (const auto& [where, write] : last) {
    const CommitWrite& w = write.first;
    if (w.op == 2) continue;  // a Patch: CheckPatch's business
    const Method& get = table_gets[w.table];
    auto keyed = Keyed(*get.table, *w.record, write.second);
    CheckStored(stub, get, *keyed, w.refs);
  }
}

// The fuzzer's server, its methods, and the inputs run on this database.
class Fuzzer {
 public:
  Fuzzer() : base_(MakeBase()) { Fresh(); }

  void Run(const uint8_t* data, size_t size) {
    if (size == 0) return;
    if (++inputs_ % kFreshEvery == 0) Fresh();
    const Method& method = methods_[data[0] % methods_.size()];
    std::vector<std::string> messages = Messages(
        method, std::string(reinterpret_cast<const char*>(data + 1), size - 1));
    std::unique_ptr<Message> request = New(method.descriptor->input_type());
    bool parses = !method.descriptor->client_streaming() &&
                  request->ParseFromString(messages[0]);
    std::unique_ptr<Message> before = Before(method, parses, *request);
    Reply reply =
        Call(server_->stub(), method.path, messages, std::chrono::seconds(10));
    if (verbose_)
      std::fprintf(stderr, "table_request_fuzz: %s: %s\n", method.path.c_str(),
                   Describe(reply.status).c_str());
    if (IsBadCode(reply.status.error_code()))
      Fail(method.path + ": " + Describe(reply.status));
    if (reply.status.ok())
      Check(method, parses, *request, messages, reply, before.get());
    if (inputs_ % kVerifyEvery == 0) Verify();
  }

  // Stops the server (at exit).
  void Stop() { server_.reset(); }

 private:
  // A temporary directory, removed at exit.
  static std::string MakeBase() {
    static char dir[] = "/tmp/table_request_fuzz.XXXXXX";
    if (mkdtemp(dir) == nullptr) Fail("mkdtemp");
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(dir, ignored);
    });
    return dir;
  }

  // A new server on an empty data directory.
  void Fresh() {
    server_.reset();
    std::filesystem::remove_all(base_ + "/data");
    std::filesystem::remove_all(base_ + "/data.backup");
    server_ = std::make_unique<Server>(base_ + "/data");
    if (methods_.empty()) methods_ = MethodsOf(*server_);
    // The tables are the new database's: rebind the methods to them.
    for (Method& m : methods_) {
      auto table = server_->tables.find(m.service->full_name());
      if (table != server_->tables.end()) m.table = table->second;
    }
    table_gets_.clear();
    for (const storage::TableSpec& spec : server_->schema().tables) {
      for (const Method& m : methods_) {
        if (m.table != nullptr && m.table->name == spec.name) {
          table_gets_.push_back(m);
          break;
        }
      }
    }
  }

  // Patch: the record as stored before, when there is one.
  std::unique_ptr<Message> Before(const Method& method, bool parses,
                                  const Message& request) {
    if (!parses || method.table == nullptr ||
        method.descriptor->name() != "Patch")
      return nullptr;
    std::string key = PrimaryKey(*method.table, Field1(request));
    grpc::Status status;
    auto stored = Get(server_->stub(), method, key, &status);
    return status.ok() ? std::move(stored) : nullptr;
  }

  void Check(const Method& method, bool parses, const Message& request,
             const std::vector<std::string>& messages, const Reply& reply,
             const Message* before) {
    const std::string& name = method.descriptor->name();
    grpc::GenericStub& stub = server_->stub();
    if (name == "Import" && method.table != nullptr)
      return CheckImport(stub, method, messages, reply);
    if (!parses && (method.table != nullptr || name == "Commit"))
      Fail(method.path + ": OK to a request that does not parse");
    if (name == "Commit") return CheckCommit(stub, table_gets_, request, reply);
    if (method.table == nullptr) return;
    if (name == "Insert" || name == "Update")
      return CheckWrite(stub, method, request, reply);
    if (name == "BatchInsert")
      return CheckBatchInsert(stub, method, request, reply);
    if (name == "Patch") return CheckPatch(stub, method, request, before);
    if (name == "Delete") return CheckDeleted(stub, method, request);
  }

  void Verify() {
    auto report = server_->db().Verify();
    if (!report.ok()) Fail("verify: " + report.status().ToString());
    for (const std::string& m : report->mismatches) {
      std::fprintf(stderr, "table_request_fuzz: verify: %s\n", m.c_str());
    }
    if (!report->ok()) Fail("verify: the database is inconsistent");
  }

  std::string base_;
  std::unique_ptr<Server> server_;
  std::vector<Method> methods_;
  std::vector<Method> table_gets_;  // a method of each table, schema order
  uint64_t inputs_ = 0;
  // TABLE_REQUEST_FUZZ_VERBOSE set: each call's status on stderr.
  bool verbose_ = std::getenv("TABLE_REQUEST_FUZZ_VERBOSE") != nullptr;
};

Fuzzer& TheFuzzer() {
  static Fuzzer* fuzzer = [] {
    server::NoteInvalidUtf8Fields();
    auto* made = new Fuzzer;
    // libFuzzer ends a run with exit(): the server stops first (this runs
    // before the data directory's removal, registered earlier, and before
    // the leak check), so that no gRPC thread is still starting while
    // LeakSanitizer looks (one was, once, at the end of an hour's run).
    std::atexit([] { TheFuzzer().Stop(); });
    return made;
  }();
  return *fuzzer;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  TheFuzzer();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  TheFuzzer().Run(data, size);
  return 0;
}
