// Hijacked connections: taking a socket away from Poco once a response head is due, writing on it
// ourselves, and the threads that serve such sockets. Garden's Go server hijacks the same routes.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace Poco::Net {
class HTTPServerRequest;
class HTTPServerResponse;
}  // namespace Poco::Net

namespace concourse::worker::garden {

// A socket detached from Poco: our own fd (blocking, close-on-exec, no receive timeout) and the
// bytes Poco had already read past the request.
struct Hijacked {
  int fd = -1;
  std::string leftover;
};

// Throws std::runtime_error when the request did not come through Poco's HTTP server.
Hijacked hijack(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
                std::chrono::nanoseconds send_timeout);

// "HTTP/1.1 <status> <reason>\r\n<headers>\r\n".
std::string response_head(int status, std::string_view reason,
                          const std::vector<std::pair<std::string, std::string>>& headers);

// Writes everything (MSG_NOSIGNAL); false when the peer is gone or a send timed out.
bool send_all(int fd, std::string_view data);

// Blocks SIGPIPE on the calling thread for its lifetime: writes into pipes whose reader left
// (stream-in, stream-out, stdin) must fail with EPIPE, not kill the worker. On destruction a
// SIGPIPE raised meanwhile is consumed and the old mask restored.
class SigpipeBlock {
 public:
  SigpipeBlock();
  ~SigpipeBlock();
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;

 private:
  bool was_blocked_ = false;
};

// Threads serving hijacked sockets. shutdown_all() shuts every registered socket down so blocked
// reads and writes return; join_all() waits for every thread.
class ConnectionRegistry {
 public:
  ConnectionRegistry() = default;
  ~ConnectionRegistry();
  ConnectionRegistry(const ConnectionRegistry&) = delete;
  ConnectionRegistry& operator=(const ConnectionRegistry&) = delete;

  // Runs fn(fd) on a new thread and closes fd after it returns. false (fd closed) once stopping.
  bool spawn(int fd, std::function<void(int fd)> fn);
  // For a socket served on the calling thread: register it, then unregister_and_close it.
  bool register_fd(int fd);
  void unregister_and_close(int fd);

  void shutdown_all();
  void join_all();
  size_t active();

 private:
  struct Worker {
    std::thread thread;
    std::atomic<bool> done{false};
  };
  void reap_locked(std::vector<std::thread>& finished);

  std::mutex mu_;
  bool stopping_ = false;
  std::set<int> fds_;
  std::list<Worker> workers_;
};

}  // namespace concourse::worker::garden
