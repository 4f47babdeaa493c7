// A schema the plugin accepts is one the server opens, and the reverse: every
// schema in the tree goes through protoc-gen-lmdbapi and through the server's
// own path (server::DeclareTables, then storage::ResolveSchema, as a server
// does before it opens its data), and both must give the same verdict and,
// for a refused schema, the same message.
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "gtest/gtest.h"
#include "server/schema.h"
#include "storage/schema.h"

namespace lmdbapi {
namespace {

struct Run {
  int exit_code = -1;
  std::string output;
};

Run Shell(const std::string& command) {
  Run run;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return run;
  char buf[1024];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) run.output.append(buf, n);
  run.exit_code = WEXITSTATUS(pclose(pipe));
  return run;
}

std::string Protoc(const std::string& args) {
  return "/usr/bin/protoc -I. -I/usr/include " + args;
}

// The plugin's verdict: "" when it generates, else its message.
std::string PluginVerdict(const std::string& proto, const std::string& out) {
  std::filesystem::create_directories(out);
  Run run = Shell(Protoc("--plugin=protoc-gen-lmdbapi=" +
                         std::string(std::getenv("LMDBAPI_PLUGIN")) +
                         " --lmdbapi_out=" + out + " " + proto));
  if (run.exit_code == 0) return "";
  // protoc prints "--lmdbapi_out: <file>: <the rest of the message>".
  std::string message = run.output.substr(run.output.find(": ") + 2);
  while (!message.empty() && message.back() == '\n') message.pop_back();
  return message;
}

// The server's verdict on the same file, built from protoc's descriptor set
// the way the plugin's own pool is (options parsed with lmdbapi's extensions).
std::string ServerVerdict(const std::string& proto, const std::string& out,
                          google::protobuf::DescriptorPool& pool) {
  std::string set_path = out + "/set.pb";
  Run run = Shell(Protoc("--include_imports --descriptor_set_out=" + set_path +
                         " " + proto));
  EXPECT_EQ(run.exit_code, 0) << run.output;
  google::protobuf::FileDescriptorSet set;
  std::ifstream in(set_path, std::ios::binary);
  EXPECT_TRUE(set.ParseFromIstream(&in));
  const google::protobuf::FileDescriptor* file = nullptr;
  for (const google::protobuf::FileDescriptorProto& f : set.file()) {
    file = pool.FindFileByName(f.name());
    if (file == nullptr) file = pool.BuildFile(f);
  }
  server::Schema schema;
  schema.proto = file;  // the last file of the set is the one asked for
  absl::Status status = server::DeclareTables(&schema);
  if (status.ok()) status = storage::ResolveSchema(schema.tables).status();
  return std::string(status.message());
}

std::vector<std::string> Schemas() {
  std::vector<std::string> schemas = {
      "proto/examples/permits.proto", "tests/schemas/library.proto",
      "tests/schemas/customers.proto", "examples/cmake-consumer/shop.proto",
      "tests/codegen/good/clash.proto"};
  for (const auto& entry :
       std::filesystem::directory_iterator("tests/codegen/bad")) {
    schemas.push_back("tests/codegen/bad/" + entry.path().filename().string());
  }
  return schemas;
}

TEST(SchemaVerdictTest, PluginAndServerGiveTheSameVerdictAndMessage) {
  ASSERT_NE(std::getenv("LMDBAPI_PLUGIN"), nullptr)
      << "set LMDBAPI_PLUGIN to protoc-gen-lmdbapi";
  std::string tmp = ::testing::TempDir() + "/schema_verdict";
  int refused = 0, accepted = 0;
  for (const std::string& proto : Schemas()) {
    std::string out = tmp + "/" + std::to_string(refused + accepted);
    std::string plugin = PluginVerdict(proto, out);
    google::protobuf::DescriptorPool pool;  // one per schema: names repeat
    std::string server = ServerVerdict(proto, out, pool);
    EXPECT_EQ(plugin, server) << proto;
    bool bad = proto.find("/bad/") != std::string::npos;
    EXPECT_EQ(!plugin.empty(), bad) << proto << ": " << plugin;
    ++(plugin.empty() ? accepted : refused);
  }
  EXPECT_GE(refused, 9);
  EXPECT_EQ(accepted, 5);
}

}  // namespace
}  // namespace lmdbapi
