// The checker and scheduler as a user meets them: a real git repository (served by `git daemon`
// on loopback, since resource containers are chrooted), `concourse quickstart` and fly. A commit
// triggers the first job; the second runs with the version the first succeeded on.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "support/git_server.hpp"
#include "support/http.hpp"
#include "support/quickstart.hpp"

namespace t = concourse::testing;
using namespace std::chrono;
using nlohmann::json;

namespace {

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
  t::GitServer git;
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
