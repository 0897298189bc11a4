#include "stdin_pump.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <concourse/sdk.hpp>
#include <cstring>

namespace concourse::containerd {

StdinPumps::StdinPumps() : stop_fd_(::eventfd(0, EFD_CLOEXEC)) {}

StdinPumps::~StdinPumps() {
  uint64_t one = 1;
  (void)!::write(stop_fd_, &one, sizeof one);
  std::lock_guard lock(mu_);
  for (auto& t : threads_)
    t.join();
  ::close(stop_fd_);
}

int StdinPumps::start(const std::string& fifo_path, std::function<void()> on_eof) {
  // O_RDWR: opening never blocks or fails for want of a reader.
  int out = ::open(fifo_path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (out < 0)
    throw sdk::Error(CC_E_INTERNAL, "open " + fifo_path + ": " + std::strerror(errno));
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) {
    ::close(out);
    throw sdk::Error(CC_E_INTERNAL, std::string("pipe: ") + std::strerror(errno));
  }
  std::lock_guard lock(mu_);
  threads_.emplace_back([this, in = p[0], out, eof = std::move(on_eof)] {
    pump(in, out, eof);
    ::close(in);
    ::close(out);
  });
  return p[1];
}

void StdinPumps::pump(int in, int out, const std::function<void()>& on_eof) {
  char buf[16384];
  while (true) {
    pollfd r[2] = {{in, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    if (::poll(r, 2, -1) < 0 && errno != EINTR)
      return;
    if (r[1].revents != 0)
      return;  // shutting down
    ssize_t n = ::read(in, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
      continue;
    if (n <= 0) {
      on_eof();
      return;
    }
    for (ssize_t off = 0; off < n;) {
      ssize_t w = ::write(out, buf + off, static_cast<size_t>(n - off));
      if (w > 0) {
        off += w;
        continue;
      }
      if (w < 0 && errno != EAGAIN && errno != EINTR)
        return;
      pollfd o[2] = {{out, POLLOUT, 0}, {stop_fd_, POLLIN, 0}};
      ::poll(o, 2, -1);
      if (o[1].revents != 0)
        return;
    }
  }
}

}  // namespace concourse::containerd
