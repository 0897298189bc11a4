#include "worker/resource_type_watcher.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/error.hpp"

namespace concourse::worker {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {
constexpr uint32_t kMask = IN_CREATE | IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
                           IN_MODIFY | IN_ATTRIB | IN_DELETE_SELF | IN_ONLYDIR;
}

ResourceTypeWatcher::ResourceTypeWatcher(std::string dir, std::chrono::milliseconds settle,
                                         std::chrono::milliseconds tick, Callback callback,
                                         concourse::log::Logger log)
    : dir_(std::move(dir)),
      settle_(settle),
      tick_(tick),
      callback_(std::move(callback)),
      log_(std::move(log)) {}

ResourceTypeWatcher::~ResourceTypeWatcher() {
  stop();
}

void ResourceTypeWatcher::start() {
  inotify_fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  stop_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (inotify_fd_ < 0 || stop_fd_ < 0)
    throw core::Error(CC_E_INTERNAL, std::string("inotify: ") + std::strerror(errno));
  add_tree(dir_);
  if (watches_.empty())
    throw core::Error(CC_E_NOT_FOUND, "cannot watch resource types dir " + dir_);
  thread_ = std::thread([this] { loop(); });
}

void ResourceTypeWatcher::stop() {
  if (thread_.joinable()) {
    uint64_t one = 1;
    [[maybe_unused]] auto n = write(stop_fd_, &one, sizeof one);
    thread_.join();
  }
  for (int fd : {inotify_fd_, stop_fd_}) {
    if (fd >= 0)
      ::close(fd);
  }
  inotify_fd_ = stop_fd_ = -1;
}

// Type and version directories (and rootfs/ trees) are watched; adding a watch that exists
// already just returns the same descriptor.
void ResourceTypeWatcher::add_tree(const std::string& dir) {
  int wd = inotify_add_watch(inotify_fd_, dir.c_str(), kMask);
  if (wd < 0) {
    log_.debug("watch-failed", {{"path", dir}, {"error", std::strerror(errno)}});
    return;
  }
  watches_[wd] = dir;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.is_directory(ec) && !e.is_symlink(ec))
      add_tree(e.path().string());
  }
}

bool ResourceTypeWatcher::drain_events() {
  alignas(inotify_event) char buf[16 * 1024];
  bool any = false;
  for (;;) {
    ssize_t n = read(inotify_fd_, buf, sizeof buf);
    if (n <= 0)
      return any;
    any = true;
    for (ssize_t off = 0; off < n;) {
      auto* ev = reinterpret_cast<inotify_event*>(buf + off);
      off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
      auto it = watches_.find(ev->wd);
      if ((ev->mask & IN_IGNORED) != 0 && it != watches_.end()) {
        watches_.erase(it);
        continue;
      }
      if ((ev->mask & IN_ISDIR) != 0 && (ev->mask & (IN_CREATE | IN_MOVED_TO)) != 0 &&
          it != watches_.end() && ev->len > 0)
        add_tree((fs::path(it->second) / ev->name).string());
    }
  }
}

void ResourceTypeWatcher::loop() {
  auto next_tick = Clock::now() + tick_;
  auto pending_until = Clock::time_point::max();  // when the current burst counts as settled
  for (;;) {
    auto until = std::min(next_tick, pending_until);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
    pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    int rc = poll(fds, 2, static_cast<int>(std::clamp<int64_t>(ms, 0, 60'000)));
    if (rc < 0 && errno != EINTR)
      return;
    if ((fds[1].revents & POLLIN) != 0)
      return;
    if ((fds[0].revents & POLLIN) != 0 && drain_events())
      pending_until = Clock::now() + settle_;
    auto now = Clock::now();
    if (now >= pending_until) {
      pending_until = Clock::time_point::max();
      next_tick = now + tick_;
      callback_(true);
    } else if (now >= next_tick) {
      next_tick = now + tick_;
      callback_(false);
    }
  }
}

}  // namespace concourse::worker
