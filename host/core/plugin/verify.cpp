#include "core/plugin/verify.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>

#include "core/plugin/registry.hpp"

extern char** environ;

namespace concourse::core::plugin {
namespace {

nlohmann::json to_json(const Verdict& v) {
  return {{"path", v.path}, {"ok", v.ok},   {"name", v.name},     {"version", v.version},
          {"kind", v.kind}, {"abi", v.abi}, {"reason", v.reason}, {"message", v.message}};
}

Verdict refused(const std::string& path, const char* reason, std::string message) {
  Verdict v;
  v.path = path;
  v.reason = reason;
  v.message = std::move(message);
  return v;
}

}  // namespace

int run_verify_child(const std::string& path) {
  Verdict v;
  v.path = path;
  auto outcome = load_module(path, RegistryOptions{});
  if (outcome.module) {
    const auto& m = *outcome.module;
    v.ok = true;
    v.name = m.name();
    v.version = m.version();
    v.kind = kind_name(m.kind());
    v.abi = std::to_string(m.abi_major()) + "." + std::to_string(m.abi_minor());
  } else {
    v.reason = to_string(outcome.refusal->reason);
    v.message = outcome.refusal->message;
  }
  std::cout << to_json(v).dump() << std::endl;
  return v.ok ? 0 : 1;
}

Verdict verify_in_child(const std::string& self_exe, const std::string& path,
                        std::chrono::milliseconds timeout) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    return refused(path, "verify-failed", "pipe failed");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  std::vector<std::string> args{self_exe, "plugins", "verify", "--child", path};
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, self_exe.c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    return refused(path, "verify-failed", std::string("spawn: ") + std::strerror(rc));
  }
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  bool timed_out = false;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0)
      continue;
    char buf[4096];
    ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n <= 0)
      break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  if (timed_out)
    ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (timed_out) {
    return refused(path, to_string(RefusalReason::EntryCrashed),
                   "loading did not finish within " + std::to_string(timeout.count()) + " ms");
  }
  if (WIFSIGNALED(status)) {
    return refused(path, to_string(RefusalReason::EntryCrashed),
                   std::string("loading crashed the verifier with signal ") +
                       std::to_string(WTERMSIG(status)) + " (" + strsignal(WTERMSIG(status)) + ")");
  }
  auto j = nlohmann::json::parse(out, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return refused(
        path, "verify-failed",
        "verifier exited with " + std::to_string(WEXITSTATUS(status)) + " and no verdict");
  }
  Verdict v;
  v.path = j.value("path", path);
  v.ok = j.value("ok", false);
  v.name = j.value("name", "");
  v.version = j.value("version", "");
  v.kind = j.value("kind", "");
  v.abi = j.value("abi", "");
  v.reason = j.value("reason", "");
  v.message = j.value("message", "");
  return v;
}

}  // namespace concourse::core::plugin
