#include "spawn.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <concourse/sdk.hpp>
#include <cstdlib>
#include <cstring>

#include "reaper.hpp"

namespace concourse::houdini {
namespace {

struct Fds {
  int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1}, status[2] = {-1, -1};
  int master = -1;
  void close_all() {
    for (int* p : {in, out, err, status}) {
      for (int i = 0; i < 2; ++i) {
        if (p[i] >= 0)
          ::close(p[i]);
        p[i] = -1;
      }
    }
    if (master >= 0)
      ::close(master);
    master = -1;
  }
};

[[noreturn]] void fail(int err, const std::string& what) {
  int code = err == ENOENT                   ? CC_E_NOT_FOUND
             : err == EACCES || err == EPERM ? CC_E_PERMISSION
                                             : CC_E_INTERNAL;
  throw sdk::Error(code, what + ": " + std::strerror(err));
}

// Runs in the child between fork and exec: async-signal-safe calls only.
[[noreturn]] void child(const SpawnRequest& req, Fds& f, const char* slave, char* const* argv,
                        char* const* envp) {
  auto die = [&](int stage) {
    int payload[2] = {stage, errno};
    (void)!::write(f.status[1], payload, sizeof payload);
    ::_exit(127);
  };
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);  // the worker blocks signals; children must not
  for (int s = 1; s < NSIG; ++s)
    ::signal(s, SIG_DFL);
  if (req.tty) {
    if (::setsid() < 0)
      die(1);
    int fd = ::open(slave, O_RDWR);
    if (fd < 0)
      die(2);
    if (::ioctl(fd, TIOCSCTTY, 0) < 0)
      die(3);
    ::dup2(fd, 0);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    if (fd > 2)
      ::close(fd);
  } else {
    if (::setpgid(0, 0) < 0)
      die(1);
    ::dup2(f.in[0], 0);
    ::dup2(f.out[1], 1);
    ::dup2(f.err[1], 2);
  }
  if (!req.root.empty() && (::chroot(req.root.c_str()) < 0 || ::chdir("/") < 0))
    die(4);
  if (::chdir(req.cwd.c_str()) < 0)
    die(5);
  ::execve(req.exec_path.c_str(), argv, envp);
  die(6);
  ::_exit(127);
}

std::vector<char*> c_array(const std::vector<std::string>& v) {
  std::vector<char*> out;
  for (const auto& s : v)
    out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

bool is_executable(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111) != 0;
}

}  // namespace

std::optional<std::string> resolve_executable(const std::string& root, const std::string& path,
                                              const std::string& search_path,
                                              const std::string& cwd) {
  if (path.empty())
    return std::nullopt;
  if (path.find('/') != std::string::npos) {
    std::string inside = path[0] == '/' ? path : cwd + "/" + path;
    return is_executable(root + inside) ? std::optional(inside) : std::nullopt;
  }
  size_t start = 0;
  while (start <= search_path.size()) {
    size_t end = search_path.find(':', start);
    if (end == std::string::npos)
      end = search_path.size();
    std::string dir = search_path.substr(start, end - start);
    if (dir.empty())
      dir = cwd;
    std::string candidate = dir + "/" + path;
    if (is_executable(root + candidate))
      return candidate;
    start = end + 1;
  }
  return std::nullopt;
}

Spawned spawn_process(const SpawnRequest& req) {
  Fds f;
  char slave[PATH_MAX] = {};
  if (req.tty) {
    f.master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (f.master < 0 || ::grantpt(f.master) < 0 || ::unlockpt(f.master) < 0 ||
        ::ptsname_r(f.master, slave, sizeof slave) != 0) {
      int e = errno;
      f.close_all();
      fail(e, "open terminal");
    }
    winsize ws{};
    ws.ws_col = static_cast<unsigned short>(req.tty->columns);
    ws.ws_row = static_cast<unsigned short>(req.tty->rows);
    ::ioctl(f.master, TIOCSWINSZ, &ws);
  } else if (::pipe2(f.in, O_CLOEXEC) < 0 || ::pipe2(f.out, O_CLOEXEC) < 0 ||
             ::pipe2(f.err, O_CLOEXEC) < 0) {
    int e = errno;
    f.close_all();
    fail(e, "create pipes");
  }
  if (::pipe2(f.status, O_CLOEXEC) < 0) {
    int e = errno;
    f.close_all();
    fail(e, "create status pipe");
  }
  auto argv = c_array(req.argv);
  auto envp = c_array(req.env);
  pid_t pid = ::fork();
  if (pid < 0) {
    int e = errno;
    f.close_all();
    fail(e, "fork");
  }
  if (pid == 0)
    child(req, f, slave, argv.data(), envp.data());

  ::close(f.status[1]);
  f.status[1] = -1;
  int payload[2] = {0, 0};
  ssize_t n;
  do {
    n = ::read(f.status[0], payload, sizeof payload);
  } while (n < 0 && errno == EINTR);
  if (n > 0) {  // the child reported a failure before exec
    ::waitpid(pid, nullptr, 0);
    f.close_all();
    std::string what = payload[0] == 5   ? "chdir " + req.cwd
                       : payload[0] == 6 ? "exec " + req.exec_path
                       : payload[0] == 4 ? "chroot " + req.root
                                         : "set up process";
    fail(payload[1], what);
  }
  Spawned s;
  s.pid = pid;
  s.pidfd = open_pidfd(pid);
  if (req.tty) {
    s.stdout_fd = f.master;
    s.stdin_fd = ::fcntl(f.master, F_DUPFD_CLOEXEC, 0);
    s.tty_fd = ::fcntl(f.master, F_DUPFD_CLOEXEC, 0);
    f.master = -1;
  } else {
    s.stdin_fd = f.in[1];
    s.stdout_fd = f.out[0];
    s.stderr_fd = f.err[0];
    f.in[1] = f.out[0] = f.err[0] = -1;
  }
  f.close_all();
  return s;
}

}  // namespace concourse::houdini
