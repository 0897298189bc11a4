#include "support/quickstart.hpp"

#include <sys/wait.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <thread>

namespace concourse::testing {
namespace {

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s)
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

std::vector<std::string> quickstart_test_args(const std::string& work_dir) {
  return {"--worker-work-dir",
          work_dir,
          "--bind-port",
          "0",
          "--tsa-bind-port",
          "0",
          "--worker-bind-port",
          "0",
          "--worker-baggageclaim-bind-port",
          "0",
          "--worker-healthcheck-bind-port",
          "0",
          "--worker-name",
          "qs",
          "--tsa-heartbeat-interval",
          "1s",
          "--log-format",
          "json"};
}

Quickstart::Quickstart(std::string concourse_bin, std::string fly_bin,
                       std::vector<std::string> extra)
    : concourse_bin_(std::move(concourse_bin)),
      fly_bin_(std::move(fly_bin)),
      extra_(std::move(extra)),
      work_(parent_.path() + "/work") {
  // The embedded PostgreSQL runs as its own user: the work dir's parents must be searchable,
  // as /tmp is for a user's real quickstart.
  std::filesystem::permissions(parent_.path(), std::filesystem::perms::others_exec,
                               std::filesystem::perm_options::add);
}

Quickstart::~Quickstart() {
  if (proc_ && proc_->running())
    proc_->stop(SIGTERM, std::chrono::seconds(30));
}

void Quickstart::start() {
  std::vector<std::string> args = quickstart_test_args(work_);
  args.insert(args.end(), extra_.begin(), extra_.end());
  proc_ = std::make_unique<ConcourseProcess>(concourse_bin_, "quickstart", args);
  auto ready = proc_->start("quickstart-ready", std::chrono::seconds(90));
  url_ = "http://127.0.0.1:" + std::to_string(port_of(ready.value("url", "")));
  fly("login -c " + url_ + " -u test -p test");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    auto workers = nlohmann::json::parse(fly("workers --json"), nullptr, false);
    if (workers.is_array())
      for (const auto& w : workers)
        if (w.value("name", "") == "qs" && w.value("state", "") == "running")
          return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  throw std::runtime_error("quickstart's worker never ran:\n" + proc_->log());
}

int Quickstart::stop() {
  return proc_ ? proc_->stop(SIGTERM, std::chrono::seconds(30)) : 0;
}

FlyRun Quickstart::run(const std::string& args) const {
  std::string cmd =
      "HOME=" + quote(home_.path()) + " " + quote(fly_bin_) + " -t qs " + args + " </dev/null 2>&1";
  FlyRun r;
  std::unique_ptr<FILE, int (*)(FILE*)> p(::popen(cmd.c_str(), "r"), ::pclose);
  if (!p)
    return r;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p.get())) > 0)
    r.out.append(buf.data(), n);
  int status = ::pclose(p.release());
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

std::string Quickstart::fly(const std::string& args) const {
  FlyRun r = run(args);
  if (r.exit_code != 0)
    throw std::runtime_error("fly " + args + " exited " + std::to_string(r.exit_code) + ":\n" +
                             r.out);
  return r.out;
}

}  // namespace concourse::testing
