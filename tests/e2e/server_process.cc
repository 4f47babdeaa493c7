#include "tests/e2e/server_process.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"

namespace lmdbapi::testing {

ServerProcess::ServerProcess(std::string binary, std::string data_dir,
                             std::vector<std::string> extra_flags)
    : binary_(std::move(binary)),
      data_dir_(std::move(data_dir)),
      log_path_(data_dir_ + ".log"),
      port_file_(data_dir_ + ".port"),
      extra_flags_(std::move(extra_flags)) {}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) Stop();
  // The log goes with the test's temporary directory: show it if the test
  // failed (tests/README.md).
  if (::testing::Test::HasFailure()) {
    std::string log = error();
    if (log.size() > 3000) log = log.substr(log.size() - 3000);
    std::fprintf(stderr, "---- %s (last 3000 characters)\n%s\n", log_path_.c_str(),
                 log.c_str());
  }
}

bool ServerProcess::Start() {
  std::remove(port_file_.c_str());
  std::vector<std::string> args = {binary_, "--listen=127.0.0.1:0",
                                   "--data_dir=" + data_dir_,
                                   "--port_file=" + port_file_};
  args.insert(args.end(), extra_flags_.begin(), extra_flags_.end());
  pid_ = fork();
  if (pid_ == 0) {
    FILE* log = std::fopen(log_path_.c_str(), "a");
    if (log != nullptr) {
      dup2(fileno(log), STDOUT_FILENO);
      dup2(fileno(log), STDERR_FILENO);
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(port_file_);
    int port = 0;
    if (in >> port && port > 0) {
      address_ = "127.0.0.1:" + std::to_string(port);
      return true;
    }
    int status;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  Kill();
  return false;
}

int ServerProcess::Stop() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void ServerProcess::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::shared_ptr<grpc::Channel> ServerProcess::Channel() const {
  return grpc::CreateChannel(address_, grpc::InsecureChannelCredentials());
}

std::string ServerProcess::error() const {
  std::ifstream in(log_path_);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string BinaryPath(const char* env_name, const std::string& fallback) {
  const char* value = std::getenv(env_name);
  return value != nullptr ? value : fallback;
}

}  // namespace lmdbapi::testing
