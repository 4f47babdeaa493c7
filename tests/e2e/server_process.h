// Starts a real lmdbapi server binary on a loopback port it picks itself,
// and stops it with SIGTERM. For end-to-end tests; the conventions it shares
// with the Python and Go helpers are in tests/README.md.
#ifndef LMDBAPI_TESTS_E2E_SERVER_PROCESS_H_
#define LMDBAPI_TESTS_E2E_SERVER_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "grpcpp/channel.h"

namespace lmdbapi::testing {

class ServerProcess {
 public:
  // `binary` is the server executable; `data_dir` its data directory.
  ServerProcess(std::string binary, std::string data_dir,
                std::vector<std::string> extra_flags = {});
  // Stop()s if running; prints the end of the log if the test has failed.
  ~ServerProcess();

  // Starts the server and waits (up to 20 s) until it serves. False on
  // failure, with the server's stderr in error().
  bool Start();
  // SIGTERM, then waits for exit. Returns the exit status (0 = clean).
  int Stop();
  // SIGKILL, then waits.
  void Kill();

  const std::string& address() const { return address_; }
  std::shared_ptr<grpc::Channel> Channel() const;
  std::string error() const;  // the server's output (its log) so far

 private:
  std::string binary_, data_dir_, log_path_, port_file_;
  std::vector<std::string> extra_flags_;
  pid_t pid_ = -1;
  std::string address_;
};

// The path of a binary built next to the test: $LMDBAPI_<NAME> when set,
// else `fallback`.
std::string BinaryPath(const char* env_name, const std::string& fallback);

}  // namespace lmdbapi::testing

#endif  // LMDBAPI_TESTS_E2E_SERVER_PROCESS_H_
