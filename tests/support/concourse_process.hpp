// A real `concourse <subcommand>` child process for integration tests and benchmarks: JSON logs
// read line by line (no sleeps), ready when it logs a given event, stopped with a signal. A
// reader thread drains the child's output all the time: a child blocked on a full log pipe
// would look like a hung server.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

namespace concourse::testing {

class ConcourseProcess {
 public:
  // binary: path of `concourse`; args appended after the subcommand. The child's environment is
  // this process's plus `env` ("NAME=value").
  ConcourseProcess(std::string binary, std::string subcommand, std::vector<std::string> args,
                   std::vector<std::string> env = {});
  ~ConcourseProcess();
  ConcourseProcess(const ConcourseProcess&) = delete;
  ConcourseProcess& operator=(const ConcourseProcess&) = delete;

  // Spawns and waits for a JSON log line whose message is ready_event; returns that line. Throws
  // std::runtime_error with the log so far if the child exits or the time runs out.
  nlohmann::json start(const std::string& ready_event,
                       std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // Waits for the next log line (after those already matched) for which pred holds.
  nlohmann::json wait_for(const std::function<bool(const nlohmann::json&)>& pred,
                          std::chrono::milliseconds timeout, const std::string& what);
  nlohmann::json wait_for_event(const std::string& message,
                                std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // Waits for the child to exit by itself; returns its status (128+N when killed by N) or -1.
  int wait_exit(std::chrono::milliseconds timeout);
  // Sends sig and waits for exit; returns the exit status (128+N when killed by N).
  int stop(int sig = 15, std::chrono::milliseconds timeout = std::chrono::seconds(20));
  void signal(int sig) const;

  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }
  std::string log() const;  // everything logged so far
  std::chrono::nanoseconds time_to_ready() const { return time_to_ready_; }

 private:
  // What the reader thread shares with us; shared so the thread can outlive this object when a
  // grandchild keeps the pipe open.
  struct Output {
    std::mutex mu;
    std::condition_variable changed;
    std::string log;
    bool closed = false;
  };
  static void read_loop(int fd, std::shared_ptr<Output> out);
  bool reap(int options, int* status);
  std::string binary_, subcommand_;
  std::vector<std::string> args_, env_;
  pid_t pid_ = -1;
  std::thread reader_;
  std::shared_ptr<Output> out_ = std::make_shared<Output>();
  size_t scanned_ = 0;
  std::chrono::nanoseconds time_to_ready_{0};
};

// The port of a "host:port" string, 0 when there is none.
uint16_t port_of(const std::string& addr);

}  // namespace concourse::testing
