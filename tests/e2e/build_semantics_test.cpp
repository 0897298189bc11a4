// What a build's outcome looks like to a user of fly, through `concourse quickstart`: a failing
// task makes `fly trigger-job -w` exit non-zero and runs on_failure and ensure (never
// on_success); `attempts` retries until a step passes; `timeout` interrupts a step and fails it.
// One quickstart serves every job: starting one costs an initdb.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "support/quickstart.hpp"

namespace t = concourse::testing;
using namespace std::chrono;

namespace {

bool has(const std::string& out, const std::string& what) {
  return out.find(what) != std::string::npos;
}

TEST(BuildSemantics, FailuresHooksAttemptsAndTimeoutsReachFly) {
  t::Quickstart qs(CONCOURSE_BIN, FLY_BIN, {"--worker-sweep-interval", "1s"});
  qs.start();
  t::TempDir marks;
  qs.fly("set-pipeline -n -p sem -c '" E2E_PIPELINES "/build-semantics.yml' -v mark=" +
         marks.path() + "/first-attempt");
  qs.fly("unpause-pipeline -p sem");

  {
    SCOPED_TRACE("failing task with hooks");
    auto r = qs.run("trigger-job -j sem/fails-with-hooks -w");
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_TRUE(has(r.out, "about to fail")) << r.out;
    EXPECT_TRUE(has(r.out, "on_failure hook ran")) << r.out;
    EXPECT_TRUE(has(r.out, "ensure hook ran")) << r.out;
    EXPECT_FALSE(has(r.out, "must not run")) << r.out;
    EXPECT_TRUE(has(r.out, "failed")) << r.out;
  }
  {
    SCOPED_TRACE("a failed build's containers stay for intercept until the next build starts");
    auto r =
        qs.run("intercept -j sem/fails-with-hooks -b 1 -s boom -- sh -c 'echo inside; exit 4'");
    EXPECT_EQ(r.exit_code, 4) << r.out;
    EXPECT_TRUE(has(r.out, "inside")) << r.out;
    EXPECT_EQ(qs.run("trigger-job -j sem/fails-with-hooks -w").exit_code, 1);
    auto gone = steady_clock::now() + seconds(20);
    do {
      r = qs.run("intercept -j sem/fails-with-hooks -b 1 -s boom -- true");
      if (r.exit_code != 0)
        break;
      std::this_thread::sleep_for(milliseconds(200));
    } while (steady_clock::now() < gone);
    EXPECT_NE(r.exit_code, 0) << "build 1's container outlived build 2's start: " << r.out;
    r = qs.run("intercept -j sem/fails-with-hooks -b 2 -s boom -- sh -c 'exit 5'");
    EXPECT_EQ(r.exit_code, 5) << "the latest failed build stays interceptible: " << r.out;
  }
  {
    SCOPED_TRACE("attempts");
    auto r = qs.run("trigger-job -j sem/retries -w");
    EXPECT_EQ(r.exit_code, 0) << r.out;
    EXPECT_TRUE(has(r.out, "first attempt fails")) << r.out;
    EXPECT_TRUE(has(r.out, "passed on a later attempt")) << r.out;
  }
  {
    SCOPED_TRACE("timeout");
    auto started = steady_clock::now();
    auto r = qs.run("trigger-job -j sem/times-out -w");
    auto took = duration_cast<seconds>(steady_clock::now() - started);
    EXPECT_NE(r.exit_code, 0) << r.out;
    EXPECT_TRUE(has(r.out, "sleeping")) << r.out;
    EXPECT_FALSE(has(r.out, "woke up")) << r.out;
    EXPECT_TRUE(has(r.out, "timeout exceeded")) << r.out;
    EXPECT_LT(took.count(), 30) << r.out;
  }
  // `fly builds` agrees with what watch reported.
  auto builds = nlohmann::json::parse(qs.fly("builds -p sem --json"));
  std::map<std::string, std::string> status;
  for (const auto& b : builds)
    status[b.value("job_name", "")] = b.value("status", "");
  EXPECT_EQ(status["fails-with-hooks"], "failed");
  EXPECT_EQ(status["retries"], "succeeded");
  EXPECT_EQ(status["times-out"], "failed");
  EXPECT_EQ(qs.stop(), 0) << qs.process().log();
}

}  // namespace
