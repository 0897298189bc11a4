// guardian through its C vtable, as the worker drives it, with real runc/crun containers on a
// busybox rootfs. Skips (with the reason) without root, cgroups v1, the OCI binary or busybox.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <concourse/sdk.hpp>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>

#include "cgroups.hpp"
#include "guardian.hpp"
#include "support/worker_process.hpp"

namespace fs = std::filesystem;
using concourse::testing::TempDir;

namespace {

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

std::string read_all(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0)
    out.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return out;
}

std::string skip_reason(const std::string& bin) {
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
  return "";
}

struct Result {
  int status;
  std::string out, err;
};

class GuardianTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (auto why = skip_reason(GetParam()); !why.empty())
      GTEST_SKIP() << why;
    nlohmann::json cfg = {{"runtime_bin", GetParam()},
                          {"default_rootfs", GUARDIAN_TEST_ROOTFS},
                          {"init_bin", GUARDIAN_INIT_BIN}};
    host_ = std::make_unique<concourse::sdk::Host>(&th_.api);
    concourse::sdk::InstanceParams p{cfg.dump(), work_.path(), work_.path() + "/data"};
    rt_ = std::make_unique<concourse::guardian::Guardian>(*host_, p);
  }
  void TearDown() override {
    for (const auto& h : made_)
      rt_->destroy(call(), h);
  }
  concourse::sdk::Call call() { return concourse::sdk::Call(*host_, nullptr); }
  void create(const std::string& handle, std::optional<cc_limits> limits = std::nullopt) {
    concourse::sdk::ContainerSpec s;
    s.handle = handle;
    s.limits = limits;
    rt_->create(call(), s);
    made_.push_back(handle);
  }
  Result run(const std::string& handle, const std::string& script, std::string input = "") {
    concourse::sdk::ProcessSpec ps;
    ps.id = "p" + std::to_string(++token_);
    ps.path = "sh";
    ps.args = {"-c", script};
    concourse::sdk::ProcessIo io;
    auto p = rt_->run(call(), handle, ps, token_, io);
    if (!input.empty())
      (void)!::write(io.stdin_fd, input.data(), input.size());
    ::close(io.stdin_fd);
    Result r{0, read_all(io.stdout_fd), read_all(io.stderr_fd)};
    r.status = p->wait(call());
    EXPECT_EQ(th_.wait_exit(token_), r.status);
    return r;
  }

  TempDir work_;
  TestHost th_;
  std::unique_ptr<concourse::sdk::Host> host_;
  std::unique_ptr<concourse::guardian::Guardian> rt_;
  std::vector<std::string> made_;
  uint64_t token_ = 0;
};

}  // namespace

TEST_P(GuardianTest, RunsIsolatedProcessesWithStdioAndExitCodes) {
  create("iso1");
  auto r = run("iso1", "read x; echo out:$x; echo err >&2; hostname; echo $$; exit 7", "hi\n");
  EXPECT_EQ(r.status, 7);
  EXPECT_EQ(r.out.rfind("out:hi\niso1\n", 0), 0u) << r.out;
  EXPECT_EQ(r.err, "err\n");
  EXPECT_NE(r.out.substr(r.out.rfind('\n', r.out.size() - 2) + 1), "1\n") << r.out;
  // Our init is PID 1; an exec'd process is never 1 and sees only the container's processes.
  auto ps = run("iso1", "cat /proc/1/cmdline; echo; ls /proc | grep -c '^[0-9]'");
  EXPECT_EQ(ps.out.substr(0, ps.out.find('\n')), std::string("/tmp/garden-init") + '\0');
}

TEST_P(GuardianTest, UnknownExecutableIsNotFoundAndSignalsWork) {
  create("sig1");
  concourse::sdk::ProcessSpec ps;
  ps.id = "nope";
  ps.path = "/no/such/binary";
  concourse::sdk::ProcessIo io;
  try {
    rt_->run(call(), "sig1", ps, 999, io);
    FAIL() << "ran a missing executable";
  } catch (const concourse::sdk::Error& e) {
    EXPECT_EQ(e.code(), CC_E_NOT_FOUND);
  }
  ps.id = "sleeper";
  ps.path = "sleep";
  ps.args = {"100"};
  auto p = rt_->run(call(), "sig1", ps, 1000, io);
  ::close(io.stdin_fd);
  p->signal(CC_SIGNAL_KILL);
  EXPECT_EQ(p->wait(call()), 137);
  ::close(io.stdout_fd);
  ::close(io.stderr_fd);
}

TEST_P(GuardianTest, MemoryLimitOomKills) {
  cc_limits l{};
  l.struct_size = sizeof l;
  l.memory_limit_in_bytes = 32 << 20;
  create("oom1", l);
  auto r = run("oom1",
               "cat /sys/fs/cgroup/memory/memory.limit_in_bytes; "
               "dd if=/dev/zero of=/dev/null bs=100M count=1");
  EXPECT_EQ(r.status, 137) << r.out << r.err;
  EXPECT_EQ(rt_->limits(call(), "oom1").memory_limit_in_bytes, 32u << 20);
}

TEST_P(GuardianTest, PidsLimitStopsAForkBomb) {
  cc_limits l{};
  l.struct_size = sizeof l;
  l.pid_max = 20;
  create("pids1", l);
  auto r = run("pids1", "for i in $(seq 1 40); do sleep 5 & done 2>&1; wait");
  EXPECT_NE(r.out.find("can't fork"), std::string::npos) << r.out << r.err;
  auto m = rt_->metrics(call(), "pids1");
  EXPECT_EQ(m.pids_max, 20u);
}

TEST_P(GuardianTest, ResolvConfDropsLoopbackNameservers) {
  create("dns1");
  auto r = run("dns1", "cat /etc/resolv.conf");
  EXPECT_EQ(r.out.find("nameserver 127."), std::string::npos) << r.out;
}

TEST_P(GuardianTest, DestroyRemovesCgroupBundleAndIsIdempotent) {
  create("gone1");
  const std::string cg = rt_->cgroup_path("gone1");
  ASSERT_TRUE(fs::exists("/sys/fs/cgroup/memory" + cg));
  auto info = rt_->info(call(), "gone1");
  rt_->destroy(call(), "gone1");
  rt_->destroy(call(), "gone1");
  made_.clear();
  EXPECT_FALSE(fs::exists("/sys/fs/cgroup/memory" + cg));
  EXPECT_FALSE(fs::exists("/sys/fs/cgroup/pids" + cg));
  EXPECT_FALSE(fs::exists(fs::path(info.container_path).parent_path()));
  EXPECT_THROW(rt_->info(call(), "gone1"), concourse::sdk::Error);
}

INSTANTIATE_TEST_SUITE_P(Runtimes, GuardianTest, ::testing::Values("runc", "crun"));
