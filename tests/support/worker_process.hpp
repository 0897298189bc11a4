// A real `concourse worker` child process for integration tests and benchmarks: started with
// port 0 everywhere and JSON logs, ready when it logs worker-ready (whose fields carry the ports
// it bound), stopped with a signal. No sleeps: we read its log line by line.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "support/concourse_process.hpp"

namespace concourse::testing {

struct WorkerEndpoints {
  uint16_t garden = 0;
  uint16_t baggageclaim = 0;
  uint16_t health = 0;
};

class WorkerProcess {
 public:
  // binary: path of `concourse`; args appended after "worker".
  WorkerProcess(std::string binary, std::vector<std::string> args);
  WorkerProcess(const WorkerProcess&) = delete;
  WorkerProcess& operator=(const WorkerProcess&) = delete;

  // Spawns and waits for worker-ready; throws std::runtime_error with the log so far on failure.
  void start(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Sends sig and waits for exit; returns the exit status (128+N when killed by N).
  int stop(int sig = 15, std::chrono::milliseconds timeout = std::chrono::seconds(20));

  pid_t pid() const { return process_.pid(); }
  const WorkerEndpoints& endpoints() const { return endpoints_; }
  // Everything the worker logged so far.
  std::string log() const { return process_.log(); }
  std::chrono::nanoseconds time_to_ready() const { return process_.time_to_ready(); }
  ConcourseProcess& process() { return process_; }

 private:
  ConcourseProcess process_;
  WorkerEndpoints endpoints_;
};

// Default args for a test worker: every port 0, loopback only, JSON logs, the given dirs.
std::vector<std::string> test_worker_args(const std::string& work_dir,
                                          const std::string& plugin_dir,
                                          const std::string& runtime = "houdini");

// A fresh temporary directory removed (recursively) when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace concourse::testing
