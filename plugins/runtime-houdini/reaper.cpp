#include "reaper.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <system_error>
#include <vector>

namespace concourse::houdini {

int open_pidfd(pid_t pid) {
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}

Reaper::Reaper() {
  epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (epfd_ < 0 || wake_fd_ < 0)
    throw std::system_error(errno, std::generic_category(), "epoll");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = wake_fd_;
  ::epoll_ctl(epfd_, EPOLL_CTL_ADD, wake_fd_, &ev);
  thread_ = std::thread([this] { loop(); });
}

Reaper::~Reaper() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
  thread_.join();
  for (auto& [fd, child] : children_)
    ::close(fd);
  ::close(wake_fd_);
  ::close(epfd_);
}

void Reaper::watch(pid_t pid, int pidfd, ExitFn on_exit) {
  std::lock_guard lock(mu_);
  children_[pidfd] = Child{pid, pidfd, std::move(on_exit)};
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = pidfd;
  ::epoll_ctl(epfd_, EPOLL_CTL_ADD, pidfd, &ev);
}

void Reaper::loop() {
  std::vector<epoll_event> events(32);
  for (;;) {
    int n = ::epoll_wait(epfd_, events.data(), static_cast<int>(events.size()), -1);
    if (n < 0 && errno == EINTR)
      continue;
    for (int i = 0; i < n; ++i) {
      int fd = events[static_cast<size_t>(i)].data.fd;
      if (fd == wake_fd_) {
        uint64_t v;
        (void)!::read(wake_fd_, &v, sizeof v);
        continue;
      }
      Child child;
      {
        std::lock_guard lock(mu_);
        auto it = children_.find(fd);
        if (it == children_.end())
          continue;
        child = std::move(it->second);
        children_.erase(it);
      }
      ::epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
      int status = 0;
      pid_t r;
      do {
        r = ::waitpid(child.pid, &status, 0);
      } while (r < 0 && errno == EINTR);
      ::close(fd);
      int code = r < 0                 ? 255
                 : WIFEXITED(status)   ? WEXITSTATUS(status)
                 : WIFSIGNALED(status) ? 128 + WTERMSIG(status)
                                       : 255;
      child.on_exit(code);
    }
    std::lock_guard lock(mu_);
    if (stopping_)
      return;
  }
}

}  // namespace concourse::houdini
