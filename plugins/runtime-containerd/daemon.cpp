#include "daemon.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "client.hpp"

extern char** environ;

namespace concourse::containerd {
namespace fs = std::filesystem;
namespace {

int pidfd_open(pid_t pid) {
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}

// Waits until fd is readable or timeout; true when readable.
bool wait_readable(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, timeout_ms) > 0;
}

std::string quote(const std::string& s) {
  return "\"" + s + "\"";
}

}  // namespace

Daemon::Daemon(const sdk::Host& host, DaemonOptions opts) : host_(host), opts_(std::move(opts)) {
  fs::create_directories(opts_.dir);
  socket_ = opts_.dir + "/containerd.sock";
  if (socket_.size() >= 100) {
    throw sdk::Error(CC_E_INVALID, "containerd socket path too long for a unix socket: " + socket_ +
                                       " (use a shorter --work-dir)");
  }
  log_path_ = opts_.dir + "/containerd.log";
  config_path_ = opts_.config.empty() ? opts_.dir + "/config.toml" : opts_.config;
  if (opts_.config.empty())
    write_config();
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC);
  thread_ = std::thread([this] { supervise(); });
  {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return started_; });
    if (!spawn_error_.empty()) {
      lock.unlock();
      thread_.join();  // the supervisor returned after the failed spawn
      ::close(wake_fd_);
      wake_fd_ = -1;
      throw sdk::Error(CC_E_UNAVAILABLE, spawn_error_);
    }
  }
  // Wait until it answers, failing fast if it dies while starting.
  Client probe(socket_, "concourse", std::chrono::milliseconds(0));
  auto deadline = std::chrono::steady_clock::now() + opts_.ready_timeout;
  std::string last;
  while (std::chrono::steady_clock::now() < deadline) {
    try {
      auto v = probe.version(std::chrono::milliseconds(200));
      host_.info("containerd-ready", {{"socket", socket_}, {"version", v}});
      return;
    } catch (const std::exception& e) {
      last = e.what();
    }
    if (restarts() > 0)
      break;
  }
  std::string tail = log_tail();
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
  thread_.join();
  ::close(wake_fd_);
  wake_fd_ = -1;
  throw sdk::Error(CC_E_UNAVAILABLE, "containerd did not come up at " + socket_ + " (" + last +
                                         "); its log ends: " + tail);
}

Daemon::~Daemon() {
  if (thread_.joinable()) {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    uint64_t one = 1;
    (void)!::write(wake_fd_, &one, sizeof one);
    thread_.join();
  }
  if (wake_fd_ >= 0)
    ::close(wake_fd_);
  wake_fd_ = -1;
}

pid_t Daemon::pid() {
  std::lock_guard lock(mu_);
  return pid_;
}

int Daemon::restarts() {
  std::lock_guard lock(mu_);
  return restarts_;
}

void Daemon::write_config() const {
  const std::string& d = opts_.dir;
  std::ofstream f(config_path_);
  f << "# Written by the concourse worker's runtime-containerd plugin; rewritten on each start.\n"
    << "version = 2\n"
    << "root = " << quote(d + "/root") << "\n"
    << "state = " << quote(d + "/state") << "\n"
    << "disabled_plugins = [\"io.containerd.grpc.v1.cri\", \"io.containerd.snapshotter.v1.aufs\",\n"
    << "  \"io.containerd.snapshotter.v1.btrfs\", \"io.containerd.snapshotter.v1.zfs\",\n"
    << "  \"io.containerd.snapshotter.v1.devmapper\"]\n"
    << "[grpc]\n  address = " << quote(socket_) << "\n"
    << "[ttrpc]\n  address = " << quote(d + "/containerd-ttrpc.sock") << "\n"
    << "[debug]\n  address = \"\"\n  level = " << quote(opts_.log_level) << "\n"
    << "[metrics]\n  address = \"\"\n"
    << "[plugins]\n"
    << "  [plugins.\"io.containerd.internal.v1.opt\"]\n    path = " << quote(d + "/opt") << "\n";
  if (!f)
    throw sdk::Error(CC_E_INTERNAL, "cannot write " + config_path_);
}

pid_t Daemon::spawn() {
  int log = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log < 0)
    throw sdk::Error(CC_E_INTERNAL, "cannot open " + log_path_ + ": " + std::strerror(errno));
  std::vector<std::string> args = {opts_.bin, "--config", config_path_};
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  int err_pipe[2];
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    ::close(log);
    throw sdk::Error(CC_E_INTERNAL, std::string("pipe: ") + std::strerror(errno));
  }
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid == 0) {
    // Child: async-signal-safe calls only, then exec.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int s = 1; s < NSIG; ++s)
      ::signal(s, SIG_DFL);
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // the worker died: so does its containerd
    if (::getppid() != parent)
      ::_exit(1);
    ::setsid();
    int null = ::open("/dev/null", O_RDONLY);
    ::dup2(null, 0);
    ::dup2(log, 1);
    ::dup2(log, 2);
    ::execvp(argv[0], argv.data());
    int e = errno;
    (void)!::write(err_pipe[1], &e, sizeof e);
    ::_exit(127);
  }
  ::close(log);
  ::close(err_pipe[1]);
  int e = 0;
  ssize_t n = pid > 0 ? ::read(err_pipe[0], &e, sizeof e) : 0;
  ::close(err_pipe[0]);
  if (pid < 0)
    throw sdk::Error(CC_E_INTERNAL, std::string("fork: ") + std::strerror(errno));
  if (n == static_cast<ssize_t>(sizeof e)) {
    ::waitpid(pid, nullptr, 0);
    throw sdk::Error(CC_E_NOT_FOUND,
                     "cannot run containerd binary '" + opts_.bin + "': " + std::strerror(e));
  }
  host_.info("containerd-started", {{"pid", std::to_string(pid)}, {"config", config_path_}});
  return pid;
}

void Daemon::supervise() {
  auto backoff = std::chrono::milliseconds(100);
  while (true) {
    pid_t pid = -1;
    try {
      pid = spawn();
    } catch (const std::exception& e) {
      std::lock_guard lock(mu_);
      if (!started_) {
        started_ = true;
        spawn_error_ = e.what();
        cv_.notify_all();
        return;
      }
      host_.error("containerd-restart-failed", {{"error", e.what()}});
    }
    int pidfd = pid > 0 ? pidfd_open(pid) : -1;
    {
      std::lock_guard lock(mu_);
      pid_ = pid;
      started_ = true;
    }
    cv_.notify_all();
    pollfd fds[2] = {{wake_fd_, POLLIN, 0}, {pidfd, POLLIN, 0}};
    int rc = ::poll(fds, pidfd >= 0 ? 2 : 1, pidfd >= 0 ? -1 : static_cast<int>(backoff.count()));
    bool stop = rc > 0 && (fds[0].revents & POLLIN) != 0;
    if (stop && pid > 0) {
      ::kill(pid, SIGTERM);
      if (pidfd < 0 || !wait_readable(pidfd, 5000))
        ::kill(pid, SIGKILL);
    }
    int status = 0;
    if (pid > 0)
      ::waitpid(pid, &status, 0);
    if (pidfd >= 0)
      ::close(pidfd);
    {
      std::lock_guard lock(mu_);
      pid_ = -1;
      if (stop || stopping_) {
        host_.info("containerd-stopped", {});
        return;
      }
      ++restarts_;
      host_.warn("containerd-died",
                 {{"status", std::to_string(status)}, {"restarts", std::to_string(restarts_)}});
    }
    // A crash loop must not spin: pause before the restart (a stop request cuts it short).
    if (wait_readable(wake_fd_, static_cast<int>(backoff.count())))
      return;
  }
}

std::string Daemon::log_tail() const {
  std::ifstream f(log_path_);
  std::stringstream ss;
  ss << f.rdbuf();
  std::string s = ss.str();
  if (s.size() > 300)
    s = s.substr(s.size() - 300);
  return s;
}

}  // namespace concourse::containerd
