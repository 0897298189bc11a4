// Test harness for the guardian runtime: a fake host (process-exit notifications), a Guardian
// built from a runtime-config JSON with the busybox rootfs, and helpers to create containers
// and run shell scripts in them. Shared by guardian_test and guardian_net_test.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <concourse/sdk.hpp>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cgroups.hpp"
#include "guardian.hpp"
#include "support/worker_process.hpp"

namespace guardian_test {

namespace fs = std::filesystem;

struct TestHost {
  std::mutex mu;
  std::condition_variable cv;
  std::map<uint64_t, int> exits;
  cc_host_api api{};

  TestHost() {
    api.struct_size = sizeof api;
    api.abi_major = CC_ABI_MAJOR;
    api.abi_minor = CC_ABI_MINOR;
    api.host_version = "test";
    api.host_ctx = this;
    api.log = [](void*, uint32_t, cc_str, const cc_kv*, size_t) {};
    api.log_enabled = [](void*, uint32_t) -> int32_t { return 0; };
    api.now_ns = [](void*) -> int64_t { return 0; };
    api.is_cancelled = [](void*, const cc_call_ctx*) -> int32_t { return 0; };
    api.notify_process_exit = [](void* ctx, uint64_t token, int32_t status, cc_str) {
      auto* self = static_cast<TestHost*>(ctx);
      std::lock_guard lock(self->mu);
      self->exits[token] = status;
      self->cv.notify_all();
    };
  }
  int wait_exit(uint64_t token) {
    std::unique_lock lock(mu);
    cv.wait_for(lock, std::chrono::seconds(20), [&] { return exits.count(token) != 0; });
    return exits.count(token) ? exits[token] : -999;
  }
};

inline std::string read_all(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0)
    out.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return out;
}

// Why the guardian tests cannot run here ("" = they can).
inline std::string skip_reason(const std::string& bin) {
  if (::geteuid() != 0)
    return "needs root";
  try {
    concourse::guardian::check_cgroups_v1();
  } catch (const std::exception& e) {
    return e.what();
  }
  if (!fs::exists(std::string(GUARDIAN_TEST_ROOTFS) + "/bin/busybox"))
    return "no busybox rootfs (install busybox-static)";
  if (std::system(("command -v " + bin + " >/dev/null").c_str()) != 0)
    return bin + " not installed";
  if (std::system("command -v iptables >/dev/null || test -x /usr/sbin/iptables") != 0)
    return "iptables not installed";
  return "";
}

struct Result {
  int status;
  std::string out, err;
};

// A process left running in a container: its stdout is read when it is done.
struct Background {
  std::unique_ptr<concourse::sdk::Process> proc;
  concourse::sdk::ProcessIo io;
  uint64_t token = 0;
};

// One guardian instance (one "worker"), its containers destroyed when it goes.
class Runtime {
 public:
  Runtime(const std::string& bin, nlohmann::json cfg, const std::string& work)
      : work_(work), cfg_(std::move(cfg)) {
    cfg_["runtime_bin"] = bin;
    cfg_["default_rootfs"] = GUARDIAN_TEST_ROOTFS;
    cfg_["init_bin"] = GUARDIAN_INIT_BIN;
    host_ = std::make_unique<concourse::sdk::Host>(&th_.api);
    open();
  }
  ~Runtime() {
    if (!rt_)
      return;
    for (const auto& h : made_) {
      try {
        rt_->destroy(call(), h);
      } catch (const std::exception& e) {
        ADD_FAILURE() << "destroy " << h << ": " << e.what();
      }
    }
  }
  // A worker restart: the instance goes (its containers stay), while_down runs, and a new one
  // takes the depot. Processes started before are not watched by the new instance.
  void restart(const std::function<void()>& while_down = {},
               const nlohmann::json& config_changes = nlohmann::json::object()) {
    rt_.reset();
    if (while_down)
      while_down();
    for (const auto& [k, v] : config_changes.items())
      cfg_[k] = v;
    open();
  }
  concourse::guardian::Guardian& rt() { return *rt_; }
  concourse::sdk::Call call() { return concourse::sdk::Call(*host_, nullptr); }

  void create(concourse::sdk::ContainerSpec s) {
    rt_->create(call(), s);
    made_.push_back(s.handle);
  }
  void create(const std::string& handle, std::optional<cc_limits> limits = std::nullopt) {
    concourse::sdk::ContainerSpec s;
    s.handle = handle;
    s.limits = limits;
    create(s);
  }
  void forget(const std::string& handle) { std::erase(made_, handle); }

  Background start(const std::string& handle, const std::string& script) {
    concourse::sdk::ProcessSpec ps;
    ps.id = "p" + std::to_string(++token_);
    ps.path = "sh";
    ps.args = {"-c", script};
    Background b;
    b.token = token_;
    b.proc = rt_->run(call(), handle, ps, token_, b.io);
    return b;
  }
  Result finish(Background& b, const std::string& input = "") {
    if (!input.empty())
      (void)!::write(b.io.stdin_fd, input.data(), input.size());
    ::close(b.io.stdin_fd);
    Result r{0, read_all(b.io.stdout_fd), read_all(b.io.stderr_fd)};
    r.status = b.proc->wait(call());
    EXPECT_EQ(th_.wait_exit(b.token), r.status);
    return r;
  }
  // Lets go of a process without waiting for it (its instance is gone).
  static void abandon(Background& b) {
    for (int fd : {b.io.stdin_fd, b.io.stdout_fd, b.io.stderr_fd})
      ::close(fd);
    b.proc.reset();
  }
  Result run(const std::string& handle, const std::string& script, const std::string& input = "") {
    auto b = start(handle, script);
    return finish(b, input);
  }

 private:
  void open() {
    concourse::sdk::InstanceParams p{cfg_.dump(), work_, work_ + "/data"};
    rt_ = std::make_unique<concourse::guardian::Guardian>(*host_, p);
  }
  std::string work_;
  nlohmann::json cfg_;
  TestHost th_;
  std::unique_ptr<concourse::sdk::Host> host_;
  std::unique_ptr<concourse::guardian::Guardian> rt_;
  std::vector<std::string> made_;
  uint64_t token_ = 0;
};

}  // namespace guardian_test
