// guardian through its C vtable, as the worker drives it, with real runc/crun containers on a
// busybox rootfs. Skips (with the reason) without root, cgroups v1, the OCI binary or busybox.
#include <gtest/gtest.h>

#include "guardian_harness.hpp"

namespace fs = std::filesystem;
using concourse::testing::TempDir;
using guardian_test::Result;

namespace {

class GuardianTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (auto why = guardian_test::skip_reason(GetParam()); !why.empty())
      GTEST_SKIP() << why;
    // The default network (shared with any other guardian on this host); destroy-on-exit
    // removes the bridge once no container of any instance is left on it.
    rt_ = std::make_unique<guardian_test::Runtime>(
        GetParam(), nlohmann::json{{"destroy_on_exit", true}}, work_.path());
  }
  void TearDown() override { rt_.reset(); }
  concourse::sdk::Call call() { return rt_->call(); }
  void create(const std::string& handle, std::optional<cc_limits> limits = std::nullopt) {
    rt_->create(handle, limits);
  }
  Result run(const std::string& handle, const std::string& script, std::string input = "") {
    return rt_->run(handle, script, input);
  }

  TempDir work_;
  std::unique_ptr<guardian_test::Runtime> rt_;
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
    rt_->rt().run(call(), "sig1", ps, 999, io);
    FAIL() << "ran a missing executable";
  } catch (const concourse::sdk::Error& e) {
    EXPECT_EQ(e.code(), CC_E_NOT_FOUND);
  }
  ps.id = "sleeper";
  ps.path = "sleep";
  ps.args = {"100"};
  auto p = rt_->rt().run(call(), "sig1", ps, 1000, io);
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
  EXPECT_EQ(rt_->rt().limits(call(), "oom1").memory_limit_in_bytes, 32u << 20);
}

TEST_P(GuardianTest, PidsLimitStopsAForkBomb) {
  cc_limits l{};
  l.struct_size = sizeof l;
  l.pid_max = 20;
  create("pids1", l);
  auto r = run("pids1", "for i in $(seq 1 40); do sleep 5 & done 2>&1; wait");
  EXPECT_NE(r.out.find("can't fork"), std::string::npos) << r.out << r.err;
  auto m = rt_->rt().metrics(call(), "pids1");
  EXPECT_EQ(m.pids_max, 20u);
}

TEST_P(GuardianTest, ResolvConfDropsLoopbackNameservers) {
  create("dns1");
  auto r = run("dns1", "cat /etc/resolv.conf");
  EXPECT_EQ(r.out.find("nameserver 127."), std::string::npos) << r.out;
}

TEST_P(GuardianTest, DestroyRemovesCgroupBundleAndIsIdempotent) {
  create("gone1");
  const std::string cg = rt_->rt().cgroup_path("gone1");
  ASSERT_TRUE(fs::exists("/sys/fs/cgroup/memory" + cg));
  auto info = rt_->rt().info(call(), "gone1");
  rt_->rt().destroy(call(), "gone1");
  rt_->rt().destroy(call(), "gone1");
  rt_->forget("gone1");
  EXPECT_FALSE(fs::exists("/sys/fs/cgroup/memory" + cg));
  EXPECT_FALSE(fs::exists("/sys/fs/cgroup/pids" + cg));
  EXPECT_FALSE(fs::exists(fs::path(info.container_path).parent_path()));
  EXPECT_THROW(rt_->rt().info(call(), "gone1"), concourse::sdk::Error);
}

INSTANTIATE_TEST_SUITE_P(Runtimes, GuardianTest, ::testing::Values("runc", "crun"));
