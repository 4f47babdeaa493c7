// protoc-gen-lmdbapi: golden files pin what it emits for the example schema,
// and every schema error is a protoc error naming file, message and field.
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "codegen/cpp_emitter.h"
#include "codegen/go_emitter.h"
#include "codegen/proto_emitter.h"
#include "gtest/gtest.h"
#include "proto/examples/permits.pb.h"

namespace lmdbapi::codegen {
namespace {

// Tests run from the repository root (CTest) or the runfiles root (Bazel).
std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void ExpectGolden(const std::string& name, const std::string& actual) {
  std::string path = "tests/codegen/golden/" + name;
  if (const char* update = std::getenv("LMDBAPI_UPDATE_GOLDEN");
      update != nullptr) {
    std::ofstream(std::string(update) + "/" + path) << actual;
    return;
  }
  EXPECT_EQ(ReadFile(path), actual)
      << name
      << " changed; if intended, rerun with LMDBAPI_UPDATE_GOLDEN=<repo root>";
}

TEST(CodegenTest, EmittedFilesMatchTheGoldenFilesForTheExampleSchema) {
  absl::StatusOr<model::SchemaModel> schema =
      model::ModelOf(lmdbapi::examples::permits::Permit::descriptor()->file());
  ASSERT_TRUE(schema.ok()) << schema.status();
  ExpectGolden("permits_service.proto", EmitServiceProto(*schema));
  ExpectGolden("permits.lmdbapi.h", EmitHeader(*schema));
  ExpectGolden("permits.lmdbapi.cc", EmitSource(*schema));
  ExpectGolden("permits.lmdbapi_main.cc", EmitMain(*schema));
  ExpectGolden("permits.gateway_main.go", EmitGatewayMain(*schema));
}

TEST(CodegenTest, EverySchemaErrorNamesFileMessageAndField) {
  const char* plugin = std::getenv("LMDBAPI_PLUGIN");
  ASSERT_NE(plugin, nullptr) << "set LMDBAPI_PLUGIN to protoc-gen-lmdbapi";
  std::string out_dir = ::testing::TempDir() + "/codegen_out";
  std::filesystem::create_directories(out_dir);
  int checked = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator("tests/codegen/bad")) {
    std::string proto = "tests/codegen/bad/" + entry.path().filename().string();
    std::string text = ReadFile(proto);
    std::string expect = text.substr(text.find("// expect: ") + 11);
    expect = expect.substr(0, expect.find('\n'));
    std::string command =
        "/usr/bin/protoc -I. -I/usr/include --plugin=protoc-gen-lmdbapi=" +
        std::string(plugin) + " --lmdbapi_out=" + out_dir + " " + proto +
        " 2>&1";
    FILE* pipe = popen(command.c_str(), "r");
    ASSERT_NE(pipe, nullptr);
    std::string output;
    char buf[1024];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) output.append(buf, n);
    int status = pclose(pipe);
    EXPECT_NE(WEXITSTATUS(status), 0) << proto << " was accepted";
    EXPECT_NE(output.find(expect), std::string::npos)
        << proto << "\nexpected: " << expect << "\ngot: " << output;
    ++checked;
  }
  EXPECT_GE(checked, 7);
}

}  // namespace
}  // namespace lmdbapi::codegen
