// The one reader thread for every process's stdout and stderr: epoll over all of them, so a
// process never blocks on a full pipe whether or not a client is attached. The pump only reports
// readiness; the process table reads and fans out. Level-triggered: a paused fd is unwatched
// (not just masked) because epoll reports EPOLLHUP even for an empty event mask.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <thread>

namespace concourse::worker::garden {

class OutputPump {
 public:
  using OnReady = std::function<void(uint64_t key)>;

  explicit OutputPump(OnReady on_ready);
  ~OutputPump();
  OutputPump(const OutputPump&) = delete;
  OutputPump& operator=(const OutputPump&) = delete;

  void start();
  void stop();

  // key must not be 0. Thread-safe (epoll_ctl is).
  void watch(int fd, uint64_t key);
  void unwatch(int fd);

 private:
  void run();

  OnReady on_ready_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace concourse::worker::garden
