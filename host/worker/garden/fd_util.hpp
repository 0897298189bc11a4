// Small fd helpers shared by the process table's files.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cstdint>

namespace concourse::worker::garden {

inline bool valid_fd(int fd) {
  return fd >= 0 && ::fcntl(fd, F_GETFD) != -1;
}

inline void make_nonblocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0)
    ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  ::fcntl(fd, F_SETFD, FD_CLOEXEC);
}

// Wakes whoever polls an eventfd.
inline void signal_fd(int fd) {
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(fd, &one, sizeof one);
}

inline void drain_fd(int fd) {
  uint64_t value = 0;
  [[maybe_unused]] ssize_t n = ::read(fd, &value, sizeof value);
}

}  // namespace concourse::worker::garden
