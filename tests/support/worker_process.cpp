#include "support/worker_process.hpp"

#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace concourse::testing {
namespace {

uint16_t port_of(const std::string& addr) {
  auto colon = addr.rfind(':');
  if (colon == std::string::npos)
    return 0;
  return static_cast<uint16_t>(std::stoi(addr.substr(colon + 1)));
}

}  // namespace

WorkerProcess::WorkerProcess(std::string binary, std::vector<std::string> args)
    : binary_(std::move(binary)), args_(std::move(args)) {}

WorkerProcess::~WorkerProcess() {
  if (pid_ > 0)
    stop(SIGKILL, std::chrono::seconds(5));
  if (log_fd_ >= 0)
    ::close(log_fd_);
}

void WorkerProcess::start(std::chrono::milliseconds timeout) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
  std::vector<std::string> argv_s{binary_, "worker"};
  argv_s.insert(argv_s.end(), args_.begin(), args_.end());
  std::vector<char*> argv;
  for (auto& s : argv_s)
    argv.push_back(s.data());
  argv.push_back(nullptr);
  auto t0 = std::chrono::steady_clock::now();
  int rc = posix_spawn(&pid_, binary_.c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(fds[1]);
  log_fd_ = fds[0];
  if (rc != 0)
    throw std::runtime_error("spawn " + binary_ + ": " + std::strerror(rc));

  auto deadline = t0 + timeout;
  size_t scanned = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    drain(50);
    size_t nl;
    while ((nl = log_.find('\n', scanned)) != std::string::npos) {
      std::string line = log_.substr(scanned, nl - scanned);
      scanned = nl + 1;
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_discarded() || j.value("message", "") != "worker-ready")
        continue;
      time_to_ready_ = std::chrono::steady_clock::now() - t0;
      endpoints_.garden = port_of(j.value("garden", ""));
      endpoints_.baggageclaim = port_of(j.value("baggageclaim", ""));
      endpoints_.health = port_of(j.value("healthcheck", ""));
      return;
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      drain(0);
      throw std::runtime_error("worker exited before ready:\n" + log_);
    }
  }
  throw std::runtime_error("worker not ready in time:\n" + log_);
}

void WorkerProcess::drain(int timeout_ms) {
  if (log_fd_ < 0)
    return;
  pollfd p{log_fd_, POLLIN, 0};
  while (::poll(&p, 1, timeout_ms) > 0) {
    char buf[8192];
    ssize_t n = ::read(log_fd_, buf, sizeof buf);
    if (n <= 0) {
      ::close(log_fd_);
      log_fd_ = -1;
      return;
    }
    log_.append(buf, static_cast<size_t>(n));
    timeout_ms = 0;
  }
}

const std::string& WorkerProcess::log() {
  drain(0);
  return log_;
}

int WorkerProcess::stop(int sig, std::chrono::milliseconds timeout) {
  if (pid_ <= 0)
    return -1;
  ::kill(pid_, sig);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      drain(0);
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    drain(20);  // also paces the loop: returns as soon as the worker logs anything
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return 128 + SIGKILL;
}

std::vector<std::string> test_worker_args(const std::string& work_dir,
                                          const std::string& plugin_dir,
                                          const std::string& runtime) {
  return {"--work-dir",
          work_dir,
          "--plugin-dir",
          plugin_dir,
          "--runtime",
          runtime,
          "--bind-port",
          "0",
          "--baggageclaim-bind-port",
          "0",
          "--healthcheck-bind-ip",
          "127.0.0.1",
          "--healthcheck-bind-port",
          "0",
          "--log-format",
          "json",
          "--log-level",
          "debug"};
}

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "cc-test-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr)
    throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  // nftw with FTW_MOUNT never crosses into another filesystem, so a leftover bind mount of /proc
  // or /dev inside a test's rootfs can never be "cleaned up" along with the temp dir.
  ::nftw(
      path_.c_str(),
      [](const char* p, const struct stat*, int type, struct FTW*) {
        if (type == FTW_DP)
          ::rmdir(p);
        else
          ::unlink(p);
        return 0;
      },
      32, FTW_MOUNT | FTW_DEPTH | FTW_PHYS);
}

}  // namespace concourse::testing
