// Waits for child processes without polling: one thread per runtime instance, epoll over a pidfd
// per child, plus an eventfd to wake it for new children and for shutdown.
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace concourse::houdini {

class Reaper {
 public:
  // on_exit(status) runs on the reaper thread once per child: the exit code, or 128+N for signal N.
  using ExitFn = std::function<void(int status)>;

  Reaper();
  ~Reaper();  // joins the thread; children still running are no longer watched
  Reaper(const Reaper&) = delete;
  Reaper& operator=(const Reaper&) = delete;

  // Takes ownership of pidfd. Works even if the child already exited (it is a zombie until we
  // reap it here, and nobody else in the worker waits for arbitrary children).
  void watch(pid_t pid, int pidfd, ExitFn on_exit);

 private:
  void loop();
  struct Child {
    pid_t pid;
    int pidfd;
    ExitFn on_exit;
  };
  int epfd_ = -1;
  int wake_fd_ = -1;
  std::mutex mu_;
  std::map<int, Child> children_;  // by pidfd
  bool stopping_ = false;
  std::thread thread_;
};

// pidfd_open(2); -1 with errno on failure.
int open_pidfd(pid_t pid);

}  // namespace concourse::houdini
