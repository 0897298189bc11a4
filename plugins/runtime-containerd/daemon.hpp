// The containerd daemon the worker owns: started as a child with its config, root, state and
// sockets under <work_dir>/containerd, awaited until it answers, restarted when it dies, stopped
// when the instance goes. Spawning happens on the supervisor's own thread because the child's
// parent-death signal is tied to the thread that forked it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <concourse/sdk.hpp>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace concourse::containerd {

struct DaemonOptions {
  std::string bin = "containerd";
  std::string config;  // a containerd config.toml of the operator's; empty = we write one
  std::string dir;     // <work_dir>/containerd
  std::string log_level = "info";
  std::chrono::milliseconds ready_timeout{20000};
};

class Daemon {
 public:
  // Starts containerd and waits until it answers; throws sdk::Error(UNAVAILABLE) with the tail
  // of its log when it does not.
  Daemon(const sdk::Host& host, DaemonOptions opts);
  ~Daemon();  // SIGTERM, then SIGKILL after 5 s
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  const std::string& socket() const { return socket_; }
  pid_t pid();
  int restarts();

 private:
  void supervise();
  pid_t spawn();  // supervisor thread only
  std::string log_tail() const;
  void write_config() const;

  const sdk::Host& host_;
  DaemonOptions opts_;
  std::string socket_, config_path_, log_path_;
  std::mutex mu_;
  std::condition_variable cv_;
  pid_t pid_ = -1;
  int restarts_ = 0;
  bool started_ = false;  // first spawn attempted
  std::string spawn_error_;
  bool stopping_ = false;
  int wake_fd_ = -1;
  std::thread thread_;
};

}  // namespace concourse::containerd
