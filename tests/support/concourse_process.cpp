#include "support/concourse_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

extern char** environ;

namespace concourse::testing {

uint16_t port_of(const std::string& addr) {
  auto colon = addr.rfind(':');
  if (colon == std::string::npos)
    return 0;
  try {
    return static_cast<uint16_t>(std::stoi(addr.substr(colon + 1)));
  } catch (const std::exception&) {
    return 0;
  }
}

ConcourseProcess::ConcourseProcess(std::string binary, std::string subcommand,
                                   std::vector<std::string> args, std::vector<std::string> env)
    : binary_(std::move(binary)),
      subcommand_(std::move(subcommand)),
      args_(std::move(args)),
      env_(std::move(env)) {}

ConcourseProcess::~ConcourseProcess() {
  if (pid_ > 0)
    stop(SIGKILL, std::chrono::seconds(5));
  // The pipe may still be open in grandchildren the process left behind; never block on them.
  if (reader_.joinable())
    reader_.detach();
}

nlohmann::json ConcourseProcess::start(const std::string& ready_event,
                                       std::chrono::milliseconds timeout) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
  std::vector<std::string> argv_s{binary_, subcommand_};
  argv_s.insert(argv_s.end(), args_.begin(), args_.end());
  std::vector<char*> argv;
  for (auto& s : argv_s)
    argv.push_back(s.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_s;
  for (char** e = environ; *e != nullptr; ++e)
    env_s.emplace_back(*e);
  env_s.insert(env_s.end(), env_.begin(), env_.end());
  std::vector<char*> envp;
  for (auto& s : env_s)
    envp.push_back(s.data());
  envp.push_back(nullptr);
  auto t0 = std::chrono::steady_clock::now();
  int rc = posix_spawn(&pid_, binary_.c_str(), &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    pid_ = -1;
    throw std::runtime_error("spawn " + binary_ + ": " + std::strerror(rc));
  }
  reader_ = std::thread(&ConcourseProcess::read_loop, fds[0], out_);
  auto line = wait_for_event(ready_event, timeout);
  time_to_ready_ = std::chrono::steady_clock::now() - t0;
  return line;
}

nlohmann::json ConcourseProcess::wait_for(const std::function<bool(const nlohmann::json&)>& pred,
                                          std::chrono::milliseconds timeout,
                                          const std::string& what) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock lock(out_->mu);
  for (;;) {
    size_t nl;
    while ((nl = out_->log.find('\n', scanned_)) != std::string::npos) {
      std::string line = out_->log.substr(scanned_, nl - scanned_);
      scanned_ = nl + 1;
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (!j.is_discarded() && j.is_object() && pred(j))
        return j;
    }
    if (out_->closed)
      throw std::runtime_error(subcommand_ + " closed its output before " + what + ":\n" +
                               out_->log);
    if (out_->changed.wait_until(lock, deadline) == std::cv_status::timeout &&
        out_->log.find('\n', scanned_) == std::string::npos)
      throw std::runtime_error(subcommand_ + ": no " + what + " in time:\n" + out_->log);
  }
}

nlohmann::json ConcourseProcess::wait_for_event(const std::string& message,
                                                std::chrono::milliseconds timeout) {
  return wait_for([&](const nlohmann::json& j) { return j.value("message", "") == message; },
                  timeout, "'" + message + "'");
}

bool ConcourseProcess::reap(int options, int* status) {
  if (pid_ <= 0)
    return false;
  if (::waitpid(pid_, status, options) != pid_)
    return false;
  pid_ = -1;
  return true;
}

void ConcourseProcess::read_loop(int fd, std::shared_ptr<Output> out) {
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    std::lock_guard lock(out->mu);
    if (n <= 0) {
      out->closed = true;
      out->changed.notify_all();
      break;
    }
    out->log.append(buf, static_cast<size_t>(n));
    out->changed.notify_all();
  }
  ::close(fd);
}

std::string ConcourseProcess::log() const {
  std::lock_guard lock(out_->mu);
  return out_->log;
}

void ConcourseProcess::signal(int sig) const {
  if (pid_ > 0)
    ::kill(pid_, sig);
}

int ConcourseProcess::wait_exit(std::chrono::milliseconds timeout) {
  // Exit is reaped with WNOHANG between short waits on the log: a child that exits usually
  // closes its output first, which wakes the wait at once.
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (reap(WNOHANG, &status)) {
      if (reader_.joinable()) {
        std::unique_lock lock(out_->mu);
        out_->changed.wait_for(lock, std::chrono::seconds(2), [&] { return out_->closed; });
      }
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::unique_lock lock(out_->mu);
    out_->changed.wait_for(lock, std::chrono::milliseconds(20));
  }
  return -1;
}

int ConcourseProcess::stop(int sig, std::chrono::milliseconds timeout) {
  if (pid_ <= 0)
    return -1;
  ::kill(pid_, sig);
  int rc = wait_exit(timeout);
  if (rc >= 0)
    return rc;
  int status = 0;
  ::kill(pid_, SIGKILL);
  reap(0, &status);
  return 128 + SIGKILL;
}

}  // namespace concourse::testing
