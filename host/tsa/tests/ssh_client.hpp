// Small synchronous libssh client for TSA tests: connect with a key, run one command with
// stdin, collect stdout/stderr/exit-status. Plus a fake worker HTTP server (Garden's
// GET /containers and Baggageclaim's GET /volumes on one port) to heartbeat against, plus
// PUT /echo, which answers with the request body.
#pragma once

#include <libssh/libssh.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace concourse::tsa::testing {

struct CommandResult {
  bool authenticated = false;
  bool exec_accepted = false;
  int exit_status = -1;
  std::string out;
  std::string err;
};

struct SessionDeleter {
  void operator()(ssh_session s) const noexcept;
};
using SessionPtr = std::unique_ptr<std::remove_pointer_t<ssh_session>, SessionDeleter>;

// Connected and authenticated session, or nullptr when the key is refused.
SessionPtr connect(uint16_t port, const std::string& key_path);

CommandResult run(uint16_t port, const std::string& key_path, const std::string& command,
                  const std::string& input);

class FakeWorkerServer {
 public:
  FakeWorkerServer(int containers, int volumes);
  ~FakeWorkerServer();
  uint16_t port() const;
  std::string addr() const { return "127.0.0.1:" + std::to_string(port()); }
  int requests() const { return requests_; }
  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  std::atomic<int> requests_{0};
};

}  // namespace concourse::tsa::testing
