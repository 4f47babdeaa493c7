// ClientSubject over a real TLS handshake: ServerCredentials with
// --tls_client_ca puts the verified client certificate's subject in the
// call's auth context, and only a --trusted_proxies peer may name another
// caller in x-client-subject. Certificates are made by the openssl CLI.
#include "server/access/client_subject.h"

#include <stdlib.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <future>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/async_generic_service.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"
#include "server/process/serve.h"

namespace lmdbapi::server {
namespace {

const char kProxy[] = "CN=gateway,O=Example";

// Answers every call with the caller's ClientSubject.
class SubjectEcho : public grpc::CallbackGenericService {
 public:
  grpc::ServerGenericBidiReactor* CreateReactor(
      grpc::GenericCallbackServerContext* context) override {
    return new Reactor(ClientSubject(*context, {kProxy}));
  }

 private:
  class Reactor : public grpc::ServerGenericBidiReactor {
   public:
    explicit Reactor(std::string subject) : subject_(std::move(subject)) {
      StartRead(&request_);
    }
    void OnReadDone(bool ok) override {
      if (!ok) return Finish(grpc::Status::CANCELLED);
      grpc::Slice slice(subject_);
      response_ = grpc::ByteBuffer(&slice, 1);
      StartWriteAndFinish(&response_, grpc::WriteOptions(), grpc::Status::OK);
    }
    void OnDone() override { delete this; }

   private:
    std::string subject_;
    grpc::ByteBuffer request_, response_;
  };
};

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class ClientSubjectTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const char* tmp = std::getenv("TEST_TMPDIR");  // Bazel's, else /tmp
    std::string dir_template =
        absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/client_subject.XXXXXX");
    dir_ = mkdtemp(dir_template.data());
    MakeCa("ca");
    MakeCa("other-ca");
    MakeLeaf("server", "ca", "/CN=localhost");
    MakeLeaf("client", "ca", "/O=Example/CN=client-a");
    MakeLeaf("proxy", "ca", "/O=Example/CN=gateway");
    MakeLeaf("stranger", "other-ca", "/O=Example/CN=client-a");
    Config config;
    config.tls_cert = Path("server.crt");
    config.tls_key = Path("server.key");
    config.tls_client_ca = Path("ca.crt");
    absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
        ServerCredentials(config);
    ASSERT_TRUE(credentials.ok()) << credentials.status();
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", *credentials, &port_);
    builder.RegisterCallbackGenericService(&echo_);
    server_ = builder.BuildAndStart().release();
    ASSERT_NE(port_, 0);
  }

  static void TearDownTestSuite() {
    server_->Shutdown();
    delete server_;
    std::system(absl::StrCat("rm -rf ", dir_).c_str());
  }

  static std::string Path(const std::string& name) {
    return absl::StrCat(dir_, "/", name);
  }

  static void OpenSsl(const std::string& args) {
    ASSERT_EQ(
        std::system(absl::StrCat("openssl ", args, " 2>/dev/null").c_str()), 0)
        << args;
  }

  static void MakeCa(const std::string& name) {
    OpenSsl(absl::StrCat(
        "req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 ",
        "-keyout ", Path(name + ".key"), " -out ", Path(name + ".crt"),
        " -subj /CN=", name));
  }

  static void MakeLeaf(const std::string& name, const std::string& ca,
                       const std::string& subject) {
    std::ofstream(Path(name + ".ext"))
        << "subjectAltName=IP:127.0.0.1,DNS:localhost\n";
    OpenSsl(absl::StrCat(
        "req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ",
        Path(name + ".key"), " -out ", Path(name + ".csr"), " -subj ",
        subject));
    OpenSsl(absl::StrCat("x509 -req -days 1 -set_serial 7 -in ",
                         Path(name + ".csr"), " -CA ", Path(ca + ".crt"),
                         " -CAkey ", Path(ca + ".key"), " -extfile ",
                         Path(name + ".ext"), " -out ", Path(name + ".crt")));
  }

  // One call presenting the certificate `name` ("": none), with
  // x-client-subject `vouched` if not empty: its status and the subject the
  // server saw.
  static std::pair<grpc::Status, std::string> Call(const std::string& name,
                                                   const std::string& vouched) {
    grpc::SslCredentialsOptions tls{Read(Path("ca.crt")), "", ""};
    if (!name.empty()) {
      tls.pem_private_key = Read(Path(name + ".key"));
      tls.pem_cert_chain = Read(Path(name + ".crt"));
    }
    grpc::GenericStub stub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", port_), grpc::SslCredentials(tls)));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(10));
    if (!vouched.empty()) context.AddMetadata("x-client-subject", vouched);
    grpc::Slice empty("");
    grpc::ByteBuffer request(&empty, 1), response;
    std::promise<grpc::Status> done;
    stub.UnaryCall(&context, "/test.Echo/Subject", grpc::StubOptions(),
                   &request, &response,
                   [&done](grpc::Status s) { done.set_value(std::move(s)); });
    grpc::Status status = done.get_future().get();
    grpc::Slice answer;
    if (status.ok()) response.TrySingleSlice(&answer);
    return {status, std::string(answer.begin(), answer.end())};
  }

  static inline std::string dir_;
  static inline SubjectEcho echo_;
  static inline grpc::Server* server_ = nullptr;
  static inline int port_ = 0;
};

TEST_F(ClientSubjectTest, AVerifiedClientCertificateIsItsSubject) {
  auto [status, subject] = Call("client", "");
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(subject, "CN=client-a,O=Example");
}

TEST_F(ClientSubjectTest, NoCertificateOrOneFromAnotherCaIsRefused) {
  EXPECT_EQ(Call("", "").first.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(Call("stranger", "").first.error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(ClientSubjectTest, OnlyATrustedProxyNamesTheCallerItForwards) {
  EXPECT_EQ(Call("client", "CN=mallory").second, "CN=client-a,O=Example");
  auto [status, subject] = Call("proxy", "CN=alice,O=Example");
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(subject, "CN=alice,O=Example");
  // The proxy's caller presented no certificate: anonymous, not the proxy.
  EXPECT_EQ(Call("proxy", "").second, "");
}

}  // namespace
}  // namespace lmdbapi::server
