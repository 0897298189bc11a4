// One thread's libssh event loop: an ssh_event with the session, plain file descriptors with
// their callbacks, and a wake-up eventfd so other threads can hand work to the loop thread.
// libssh sessions are not thread-safe, so every call on a session happens on its loop thread;
// other threads post() closures instead.
#pragma once

#include <libssh/libssh.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

namespace concourse::tsa {

class EventLoop {
 public:
  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  ssh_event event() const { return event_; }

  // Any thread: runs fn on the loop thread during the next poll. False once closed.
  bool post(std::function<void()> fn);
  // Loop thread: refuses further posts and drops pending ones (their owners are gone).
  void close();

  // Loop thread. cb gets poll revents; it may call remove_fd() for its own fd.
  void add_fd(int fd, short events, std::function<void(int revents)> cb);
  // Deferred until the current poll round ends, because libssh still touches the poll handle
  // after a callback returns. close_fd closes the descriptor once it is out of the event (at
  // once if it already left it), never before, so its number cannot be reused meanwhile.
  void remove_fd(int fd, bool close_fd);

  // Loop thread: one ssh_event_dopoll round (timeout -1 = until something happens), then the
  // deferred removals. Returns libssh's SSH_OK / SSH_AGAIN / SSH_ERROR.
  int poll_once(int timeout_ms);

 private:
  struct FdEntry {
    std::function<void(int)> cb;
    bool removed = false;
  };
  static int on_fd(socket_t fd, int revents, void* userdata);
  void run_posted();

  ssh_event event_ = nullptr;
  int wake_fd_ = -1;
  std::map<int, std::unique_ptr<FdEntry>> fds_;
  std::vector<std::pair<int, bool>> pending_removals_;
  std::mutex mu_;
  std::vector<std::function<void()>> posted_;
  bool closed_ = false;
};

}  // namespace concourse::tsa
