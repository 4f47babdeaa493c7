// empty_server: the permits gRPC services with handlers that do nothing
// (an empty response at once): the cost of a gRPC call alone on this machine,
// the ceiling the benchmark compares lmdbapi's server with. Same gRPC build,
// same callback API, same request parsing as the real server.
//
//   empty_server --listen=127.0.0.1:0 --port_file=PATH
#include <csignal>
#include <cstdio>
#include <fstream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "grpcpp/server_builder.h"
#include "proto/examples/permits_service.grpc.pb.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:0", "gRPC listen address");
ABSL_FLAG(std::string, port_file, "", "write the chosen port here");

namespace {

namespace permits = lmdbapi::examples::permits;
using grpc::CallbackServerContext;
using grpc::ServerUnaryReactor;

template <typename Context>
ServerUnaryReactor* Done(Context* context) {
  ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

class EmptyPermits final : public permits::Permits::CallbackService {
  ServerUnaryReactor* Insert(CallbackServerContext* c,
                             const permits::InsertPermitRequest*,
                             permits::Permit*) override {
    return Done(c);
  }
  ServerUnaryReactor* Get(CallbackServerContext* c,
                          const permits::GetPermitRequest*,
                          permits::Permit*) override {
    return Done(c);
  }
  ServerUnaryReactor* Filter(CallbackServerContext* c,
                             const permits::FilterPermitsRequest*,
                             permits::PermitPage*) override {
    return Done(c);
  }
  ServerUnaryReactor* BatchInsert(
      CallbackServerContext* c, const permits::BatchInsertPermitsRequest*,
      permits::BatchInsertPermitsResponse*) override {
    return Done(c);
  }
};

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  EmptyPermits service;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(absl::GetFlag(FLAGS_listen),
                           grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server) {
    std::fprintf(stderr, "empty_server: cannot listen on %s\n",
                 absl::GetFlag(FLAGS_listen).c_str());
    return 1;
  }
  if (!absl::GetFlag(FLAGS_port_file).empty()) {
    std::string tmp = absl::GetFlag(FLAGS_port_file) + ".tmp";
    std::ofstream(tmp) << port << "\n";
    std::rename(tmp.c_str(), absl::GetFlag(FLAGS_port_file).c_str());
  }
  int sig;
  sigwait(&signals, &sig);
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  return 0;
}
