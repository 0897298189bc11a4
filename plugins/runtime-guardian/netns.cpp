#include "netns.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <cerrno>
#include <concourse/sdk.hpp>
#include <cstring>
#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>

namespace concourse::guardian {
namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const std::string& what, int err) {
  throw sdk::Error(CC_E_INTERNAL, "guardian: " + what + ": " + std::strerror(err));
}

// Runs fn on a short-lived thread: namespace switches (unshare/setns of CLONE_NEWNET) affect
// only the calling thread, so the worker's own threads stay in the host namespace.
int on_own_thread(const std::function<int()>& fn) {
  int result = 0;
  std::thread t([&] { result = fn(); });
  t.join();
  return result;
}

// Like `ip netns`: the directory is a shared mount, so an unmount of a namespace file there
// propagates into mount namespaces copied from this one (or they would keep it alive).
void prepare_dir(const fs::path& dir) {
  static std::once_flag once;
  std::call_once(once, [&] {
    fs::create_directories(dir);
    if (::mount("", dir.c_str(), "none", MS_SHARED | MS_REC, nullptr) == 0)
      return;
    if (errno == EINVAL &&
        ::mount(dir.c_str(), dir.c_str(), "none", MS_BIND | MS_REC, nullptr) == 0)
      ::mount("", dir.c_str(), "none", MS_SHARED | MS_REC, nullptr);
  });
}

}  // namespace

bool is_netns(const std::string& path) {
  struct statfs s {};
  return ::statfs(path.c_str(), &s) == 0 && static_cast<unsigned long>(s.f_type) == NSFS_MAGIC;
}

int create_netns(const std::string& path) {
  prepare_dir(fs::path(path).parent_path());
  remove_netns(path);
  int fd = ::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
  if (fd < 0)
    fail("create " + path, errno);
  ::close(fd);
  int err = on_own_thread([&] {
    if (::unshare(CLONE_NEWNET) < 0)
      return errno;
    if (::mount("/proc/thread-self/ns/net", path.c_str(), "none", MS_BIND, nullptr) < 0)
      return errno;
    return 0;
  });
  if (err != 0) {
    ::unlink(path.c_str());
    fail("new network namespace at " + path, err);
  }
  fd = open_netns(path);
  if (fd < 0)
    fail("open " + path, errno);
  return fd;
}

int open_netns(const std::string& path) {
  if (!is_netns(path))
    return -1;
  return ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
}

void remove_netns(const std::string& path) {
  // A file may carry several stacked binds (a crash between two creates): peel them all.
  while (::umount2(path.c_str(), MNT_DETACH) == 0) {
  }
  ::unlink(path.c_str());
}

int netlink_socket_in(int netns_fd) {
  int sock = -1;
  int err = on_own_thread([&] {
    if (::setns(netns_fd, CLONE_NEWNET) < 0)
      return errno;
    sock = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    return sock < 0 ? errno : 0;
  });
  if (err != 0)
    fail("netlink socket in a container namespace", err);
  return sock;
}

}  // namespace concourse::guardian
