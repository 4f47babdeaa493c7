// protoc-gen-lmdbapi: golden files pin what it emits for the example schema,
// and every schema error is a protoc error naming file, message and field.
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>

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

// Runs protoc with the plugin on `proto`: (exit status, output).
std::pair<int, std::string> Protoc(const std::string& args) {
  FILE* pipe = popen(("/usr/bin/protoc " + args + " 2>&1").c_str(), "r");
  std::string output;
  if (pipe == nullptr) return {-1, output};
  char buf[1024];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) output.append(buf, n);
  return {WEXITSTATUS(pclose(pipe)), output};
}

TEST(CodegenTest, RecordFieldsNamedAsRequestFieldsGetNoTypedFilterField) {
  const char* plugin = std::getenv("LMDBAPI_PLUGIN");
  ASSERT_NE(plugin, nullptr) << "set LMDBAPI_PLUGIN to protoc-gen-lmdbapi";
  std::string out = ::testing::TempDir() + "/codegen_clash";
  std::filesystem::create_directories(out);
  auto [status, output] = Protoc(
      "-I. -I/usr/include --plugin=protoc-gen-lmdbapi=" + std::string(plugin) +
      " --lmdbapi_out=" + out + " tests/codegen/good/clash.proto");
  ASSERT_EQ(status, 0) << output;
  std::string service =
      ReadFile(out + "/tests/codegen/good/clash_service.proto");
  ExpectGolden("clash_service.proto", service);
  // The request's own fields once each; the record's clashing fields only
  // through `filter`, said so in a comment.
  for (const char* own :
       {"int32 page_size = 1;", "string page_token = 2;", "string filter = 3;",
        "string order_by = 4;", "google.protobuf.FieldMask read_mask = 5;"}) {
    std::string filter_request =
        service.substr(service.find("message FilterListingsRequest"),
                       service.find("message CountListingsRequest") -
                           service.find("message FilterListingsRequest"));
    EXPECT_NE(filter_request.find(own), std::string::npos) << own;
  }
  EXPECT_EQ(service.find("Int32Value page_size ="), std::string::npos);
  EXPECT_EQ(service.find("StringValue filter ="), std::string::npos);
  EXPECT_EQ(service.find("StringValue order_by ="), std::string::npos);
  EXPECT_NE(service.find("No typed field for page_size, page_token, filter, "
                         "order_by, read_mask (the"),
            std::string::npos);
  // page_size's bounds keep their free names.
  EXPECT_NE(service.find("google.protobuf.Int32Value page_size_min = 23;"),
            std::string::npos);
  // fee_min is the record field's equality; fee keeps its fee_max.
  EXPECT_NE(service.find("google.protobuf.Int64Value fee_min = 40;"),
            std::string::npos);
  EXPECT_EQ(service.find("fee_min = 38;"), std::string::npos);
  EXPECT_NE(service.find("google.protobuf.Int64Value fee_max = 39;"),
            std::string::npos);
  // What protoc itself says of the generated file: it compiles.
  auto [compiled, errors] =
      Protoc("-I" + out +
             " -I. -I/usr/include "
             "-I/usr/share/gocode/src/github.com/grpc-ecosystem/grpc-gateway/"
             "third_party/googleapis --descriptor_set_out=/dev/null "
             "tests/codegen/good/clash_service.proto");
  EXPECT_EQ(compiled, 0) << errors;
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
