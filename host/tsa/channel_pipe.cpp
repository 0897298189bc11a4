#include "tsa/channel_pipe.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace concourse::tsa {

ChannelPipe::ChannelPipe(EventLoop& loop, int fd, ssh_channel channel)
    : loop_(loop), fd_(fd), channel_(channel) {
  callbacks_.userdata = this;
  callbacks_.channel_data_function = &ChannelPipe::on_data;
  callbacks_.channel_eof_function = &ChannelPipe::on_eof;
  callbacks_.channel_close_function = &ChannelPipe::on_close;
  ssh_callbacks_init(&callbacks_);
  ssh_set_channel_callbacks(channel_, &callbacks_);
  loop_.add_fd(fd_, POLLIN, [this](int) { on_readable(); });
}

ChannelPipe::~ChannelPipe() {
  ssh_remove_channel_callbacks(channel_, &callbacks_);
  loop_.remove_fd(fd_, true);
  if (ssh_channel_is_open(channel_))
    ssh_channel_close(channel_);
  ssh_channel_free(channel_);
}

void ChannelPipe::on_readable() {
  char buf[32 * 1024];
  ssize_t n = ::read(fd_, buf, sizeof buf);
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return;
  if (n <= 0) {
    // The descriptor stays open (the other direction may still be flowing) but leaves the
    // event, or poll would report the EOF forever.
    fd_eof_ = true;
    loop_.remove_fd(fd_, false);
    if (n < 0)
      failed_ = true;
    else if (ssh_channel_is_open(channel_))
      ssh_channel_send_eof(channel_);
    return;
  }
  // Blocking on purpose: libssh waits for the peer's window here while still serving the
  // session's other channels, which is the flow control this pipe needs.
  if (ssh_channel_write(channel_, buf, static_cast<uint32_t>(n)) == SSH_ERROR)
    failed_ = true;
}

int ChannelPipe::on_data(ssh_session, ssh_channel, void* data, uint32_t len, int, void* ud) {
  auto* self = static_cast<ChannelPipe*>(ud);
  const char* p = static_cast<const char*>(data);
  uint32_t left = len;
  while (left > 0) {
    ssize_t n = ::send(self->fd_, p, left, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      self->failed_ = true;
      return static_cast<int>(len);
    }
    p += n;
    left -= static_cast<uint32_t>(n);
  }
  return static_cast<int>(len);
}

void ChannelPipe::on_eof(ssh_session, ssh_channel, void* ud) {
  auto* self = static_cast<ChannelPipe*>(ud);
  self->channel_eof_ = true;
  ::shutdown(self->fd_, SHUT_WR);
}

void ChannelPipe::on_close(ssh_session, ssh_channel, void* ud) {
  static_cast<ChannelPipe*>(ud)->channel_closed_ = true;
}

}  // namespace concourse::tsa
