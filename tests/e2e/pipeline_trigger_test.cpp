// The checker and scheduler as a user meets them: a real git repository (served by `git daemon`
// on loopback, since resource containers are chrooted), `concourse quickstart` and fly. A commit
// triggers the first job; the second runs with the version the first succeeded on.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "support/http.hpp"
#include "support/quickstart.hpp"

namespace t = concourse::testing;
using namespace std::chrono;
using nlohmann::json;

namespace {

// A repository under dir/app with one file, served read-only over git:// until destroyed.
class GitServer {
 public:
  GitServer() : port_(t::free_port()) {
    t::shell("cd '" + dir_.path() + "' && git init -q -b main app");
    commit("v1");
    t::shell("git daemon --export-all --reuseaddr --detach --listen=127.0.0.1 --port=" +
             std::to_string(port_) + " --base-path='" + dir_.path() + "' --pid-file='" +
             dir_.path() + "/pid' '" + dir_.path() + "'");
    auto deadline = steady_clock::now() + 10s;
    while (steady_clock::now() < deadline) {
      if (std::system(("git ls-remote " + uri() + " >/dev/null 2>&1").c_str()) == 0)
        return;
      std::this_thread::sleep_for(100ms);
    }
    throw std::runtime_error("git daemon did not answer on " + uri());
  }
  ~GitServer() { std::system(("kill $(cat '" + dir_.path() + "/pid') 2>/dev/null").c_str()); }
  std::string uri() const { return "git://127.0.0.1:" + std::to_string(port_) + "/app"; }
  void commit(const std::string& content) {
    std::ofstream(dir_.path() + "/app/file") << content << "\n";
    t::shell("cd '" + dir_.path() + "/app' && git add file && git -c user.email=e2e@example.com " +
             "-c user.name=e2e commit -qm '" + content + "'");
  }

 private:
  t::TempDir dir_;
  uint16_t port_;
};

// The job's builds, newest first, as `fly builds --json` lists them.
json builds(const t::Quickstart& qs, const std::string& job) {
  return json::parse(qs.fly("builds -j trig/" + job + " --json"), nullptr, false);
}

// Waits for the job to have `count` builds, the newest finished; returns that build.
json wait_for_build(const t::Quickstart& qs, const std::string& job, size_t count,
                    seconds timeout = 90s) {
  auto deadline = steady_clock::now() + timeout;
  while (steady_clock::now() < deadline) {
    json b = builds(qs, job);
    if (b.is_array() && b.size() >= count) {
      const std::string status = b[0].value("status", "");
      if (status != "pending" && status != "started")
        return b[0];
    }
    std::this_thread::sleep_for(200ms);
  }
  return json();
}

TEST(PipelineTrigger, ACommitTriggersAJobAndPassedCarriesItDownstream) {
  GitServer git;
  t::Quickstart qs(CONCOURSE_BIN, FLY_BIN);
  qs.start();
  qs.fly("set-pipeline -n -p trig -c '" E2E_PIPELINES "/git-trigger.yml' -v uri=" + git.uri());
  qs.fly("unpause-pipeline -p trig");

  json unit1 = wait_for_build(qs, "unit", 1);
  ASSERT_EQ(unit1.value("status", ""), "succeeded")
      << unit1.dump() << qs.run("watch -j trig/unit -b 1").out;
  json deploy1 = wait_for_build(qs, "deploy", 1);
  ASSERT_EQ(deploy1.value("status", ""), "succeeded") << deploy1.dump();

  auto committed = steady_clock::now();
  git.commit("v2");
  json unit2 = wait_for_build(qs, "unit", 2);
  auto took = duration_cast<milliseconds>(steady_clock::now() - committed);
  ASSERT_EQ(unit2.value("status", ""), "succeeded") << unit2.dump();
  std::printf("commit to finished build: %lld ms\n", static_cast<long long>(took.count()));
  json deploy2 = wait_for_build(qs, "deploy", 2);
  ASSERT_EQ(deploy2.value("status", ""), "succeeded") << deploy2.dump();

  auto unit_log = qs.fly("watch -j trig/unit -b " + unit2.value("name", ""));
  EXPECT_NE(unit_log.find("unit sees v2"), std::string::npos) << unit_log;
  auto deploy_log = qs.fly("watch -j trig/deploy -b " + deploy2.value("name", ""));
  EXPECT_NE(deploy_log.find("deploy ships v2"), std::string::npos) << deploy_log;
  EXPECT_EQ(qs.stop(), 0) << qs.process().log();
}

}  // namespace
