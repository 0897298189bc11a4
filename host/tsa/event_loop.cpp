#include "tsa/event_loop.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/error.hpp"

namespace concourse::tsa {

EventLoop::EventLoop() {
  event_ = ssh_event_new();
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (event_ == nullptr || wake_fd_ < 0)
    throw core::Error(CC_E_INTERNAL, "event loop: cannot create ssh event or eventfd");
  add_fd(wake_fd_, POLLIN, [this](int) {
    uint64_t n = 0;
    while (read(wake_fd_, &n, sizeof n) > 0) {
    }
    run_posted();
  });
}

EventLoop::~EventLoop() {
  close();
  for (auto& [fd, entry] : fds_)
    ssh_event_remove_fd(event_, fd);
  for (auto& [fd, close_fd] : pending_removals_) {
    if (close_fd)
      ::close(fd);
  }
  ssh_event_free(event_);
  ::close(wake_fd_);
}

bool EventLoop::post(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_)
      return false;
    posted_.push_back(std::move(fn));
  }
  uint64_t one = 1;
  // A full counter still leaves the fd readable, so a failed write loses no wake-up.
  [[maybe_unused]] auto n = write(wake_fd_, &one, sizeof one);
  return true;
}

void EventLoop::close() {
  std::lock_guard<std::mutex> lock(mu_);
  closed_ = true;
  posted_.clear();
}

void EventLoop::run_posted() {
  std::vector<std::function<void()>> batch;
  {
    std::lock_guard<std::mutex> lock(mu_);
    batch.swap(posted_);
  }
  for (auto& fn : batch)
    fn();
}

int EventLoop::on_fd(socket_t fd, int revents, void* userdata) {
  auto* entry = static_cast<FdEntry*>(userdata);
  if (!entry->removed)
    entry->cb(revents);
  (void)fd;
  return 0;
}

void EventLoop::add_fd(int fd, short events, std::function<void(int)> cb) {
  auto entry = std::make_unique<FdEntry>();
  entry->cb = std::move(cb);
  if (ssh_event_add_fd(event_, fd, events, &EventLoop::on_fd, entry.get()) != SSH_OK)
    throw core::Error(CC_E_INTERNAL, "event loop: cannot watch fd " + std::to_string(fd));
  fds_[fd] = std::move(entry);
}

void EventLoop::remove_fd(int fd, bool close_fd) {
  auto it = fds_.find(fd);
  if (it == fds_.end()) {
    if (close_fd)
      ::close(fd);
    return;
  }
  if (it->second->removed) {
    for (auto& [pending, close_it] : pending_removals_) {
      if (pending == fd)
        close_it = close_it || close_fd;
    }
    return;
  }
  it->second->removed = true;
  pending_removals_.emplace_back(fd, close_fd);
}

int EventLoop::poll_once(int timeout_ms) {
  int rc = ssh_event_dopoll(event_, timeout_ms);
  auto removals = std::move(pending_removals_);
  pending_removals_.clear();
  for (auto& [fd, close_fd] : removals) {
    ssh_event_remove_fd(event_, fd);
    fds_.erase(fd);
    if (close_fd)
      ::close(fd);
  }
  return rc;
}

}  // namespace concourse::tsa
