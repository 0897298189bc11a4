// Pumps bytes both ways between a TCP connection and an SSH channel on an EventLoop: the
// forwarded-tcpip channels of the TSA (ATC side) and of the beacon (Garden/Baggageclaim side).
// EOF travels each way (shutdown(SHUT_WR) / SSH EOF); the pipe is done when both directions
// ended or either side failed. Loop thread only.
#pragma once

#include <libssh/callbacks.h>
#include <libssh/libssh.h>

#include <memory>
#include <vector>

#include "tsa/event_loop.hpp"

namespace concourse::tsa {

class ChannelPipe {
 public:
  // Takes ownership of fd and channel (an open channel).
  ChannelPipe(EventLoop& loop, int fd, ssh_channel channel);
  ~ChannelPipe();
  ChannelPipe(const ChannelPipe&) = delete;
  ChannelPipe& operator=(const ChannelPipe&) = delete;

  bool done() const { return failed_ || (fd_eof_ && channel_eof_) || channel_closed_; }

 private:
  static int on_data(ssh_session, ssh_channel, void* data, uint32_t len, int is_stderr, void* ud);
  static void on_eof(ssh_session, ssh_channel, void* ud);
  static void on_close(ssh_session, ssh_channel, void* ud);
  void on_readable();

  EventLoop& loop_;
  int fd_;
  ssh_channel channel_;
  ssh_channel_callbacks_struct callbacks_{};
  bool fd_eof_ = false;
  bool channel_eof_ = false;
  bool channel_closed_ = false;
  bool failed_ = false;
};

// Destroys the elements of `items` that are done (all of them with `all`). Destroying a pipe or
// channel closes its SSH channel, and libssh serves the whole event while it flushes: other
// fds' callbacks run, and they may add to this very vector. So the victims leave the vector
// before any of them is destroyed, and `all` repeats until nothing new arrived meanwhile.
template <typename T>
void destroy_finished(std::vector<std::unique_ptr<T>>& items, bool all = false) {
  do {
    std::vector<std::unique_ptr<T>> dead;
    for (auto& item : items) {
      if (all || item->done())
        dead.push_back(std::move(item));
    }
    std::erase(items, nullptr);
    dead.clear();
  } while (all && !items.empty());
}

}  // namespace concourse::tsa
