#include "worker/garden/output_pump.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <system_error>

namespace concourse::worker::garden {

OutputPump::OutputPump(OnReady on_ready) : on_ready_(std::move(on_ready)) {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (epoll_fd_ < 0 || wake_fd_ < 0) {
    int e = errno;
    if (epoll_fd_ >= 0)
      ::close(epoll_fd_);
    if (wake_fd_ >= 0)
      ::close(wake_fd_);
    throw std::system_error(e, std::generic_category(), "output pump: epoll");
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = 0;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
}

OutputPump::~OutputPump() {
  stop();
  ::close(epoll_fd_);
  ::close(wake_fd_);
}

void OutputPump::start() {
  if (thread_.joinable())
    return;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void OutputPump::stop() {
  stopping_ = true;
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof one);
  if (thread_.joinable())
    thread_.join();
}

void OutputPump::watch(int fd, uint64_t key) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = key;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    throw std::system_error(errno, std::generic_category(), "output pump: watch fd");
  }
}

void OutputPump::unwatch(int fd) {
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
}

void OutputPump::run() {
  std::array<epoll_event, 64> events{};
  while (!stopping_) {
    int n = epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), -1);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return;
    }
    for (int i = 0; i < n && !stopping_; ++i) {
      if (events[i].data.u64 == 0) {
        uint64_t drained = 0;
        [[maybe_unused]] ssize_t r = ::read(wake_fd_, &drained, sizeof drained);
        continue;
      }
      on_ready_(events[i].data.u64);
    }
  }
}

}  // namespace concourse::worker::garden
