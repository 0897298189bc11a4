// load_var and across through the real Engine on a real houdini worker.
#include <chrono>
#include <fstream>
#include <set>
#include <sstream>

#include "atc/engine/engine.hpp"
#include "steps_fixture.hpp"

namespace concourse::atc::engine::testing {
namespace {

using Clock = std::chrono::steady_clock;

class FixedSource : public WorkerSource {
 public:
  std::vector<WorkerTarget> running_workers() override { return {worker}; }
  WorkerTarget worker;
};

class StepsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!can_run_workers())
      GTEST_SKIP() << "houdini chroots into resource rootfs only as root";
    source_.worker = worker_target();
    engine_ = std::make_unique<Engine>(source_, log::Logger("engine"));
  }

  std::string run(const json& plan) {
    BuildRequest req;
    req.build_id = 7;
    req.build_name = "1";
    req.team = "main";
    req.pipeline = "p";
    req.job = "j";
    req.plan = plan;
    std::atomic<bool> never{false};
    return engine_->run(req, sink_, never);
  }

  // A host file the tasks append to (tasks without an image run on the host).
  std::string read_host_log() {
    std::ifstream in(tmp_.path() + "/log");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  concourse::testing::TempDir tmp_;
  FixedSource source_;
  std::unique_ptr<Engine> engine_;
  RecordingSink sink_;
};

TEST_F(StepsTest, LoadVarJsonFieldsReachALaterTasksParams) {
  json files{{"vars.json", R"({"greeting": {"word": "hello-there"}, "count": 3})"}};
  json plan{{"id", "root"},
            {"do",
             {mock_get("g", "src", files),
              {{"id", "lv"},
               {"load_var", {{"load_var", "cfg"}, {"file", "src/vars.json"}, {"reveal", true}}}},
              sh_task("t", "use", "echo \"word=$WORD count=$COUNT\"",
                      {{"WORD", "((.:cfg.greeting.word))"}, {"COUNT", "((.:cfg.count))"}})}}};
  ASSERT_EQ(run(plan), "succeeded") << sink_.errors() << sink_.logs();
  EXPECT_NE(sink_.logs().find("word=hello-there count=3"), std::string::npos) << sink_.logs();
  bool finished = false;
  for (const auto& e : sink_.events())
    finished |= e["event"] == "finish" && e["data"]["origin"]["id"] == "lv" &&
                e["data"]["succeeded"] == true;
  EXPECT_TRUE(finished);
}

TEST_F(StepsTest, LoadVarValuesAreRedactedUnlessRevealed) {
  json plan{{"id", "root"},
            {"do",
             {mock_get("g", "src", {{"token.txt", "  s3cr3t-token-value\n"}}),
              {{"id", "lv"}, {"load_var", {{"load_var", "token"}, {"file", "src/token.txt"}}}},
              sh_task("t", "leak", "echo \"got [$T]\"", {{"T", "((.:token))"}})}}};
  ASSERT_EQ(run(plan), "succeeded") << sink_.errors();
  EXPECT_EQ(sink_.logs().find("s3cr3t-token-value"), std::string::npos) << sink_.logs();
  // trim (the default for .txt) dropped the whitespace around the value.
  EXPECT_NE(sink_.logs().find("got [((redacted))]"), std::string::npos) << sink_.logs();
}

TEST_F(StepsTest, UndefinedLocalVarErrorsTheStep) {
  EXPECT_EQ(run(sh_task("t", "x", "true", {{"A", "((.:missing))"}})), "errored");
  EXPECT_NE(sink_.errors().find("undefined local vars: ((.:missing))"), std::string::npos)
      << sink_.errors();
}

TEST_F(StepsTest, LoadVarOfAnUnknownArtifactErrors) {
  EXPECT_EQ(run({{"id", "lv"}, {"load_var", {{"load_var", "x"}, {"file", "nope/x.json"}}}}),
            "errored");
  EXPECT_NE(sink_.errors().find("unknown artifact source: 'nope'"), std::string::npos)
      << sink_.errors();
}

json across(const std::string& var, json values, json max_in_flight, bool fail_fast,
            const json& step) {
  json v{{"name", var}, {"values", values}};
  if (!max_in_flight.is_null())
    v["max_in_flight"] = max_in_flight;
  json body{{"vars", json::array({v})}, {"substep_template", step.dump()}};
  if (fail_fast)
    body["fail_fast"] = true;
  return {{"id", "ax"}, {"across", body}};
}

// Each iteration logs its start and end to a host file; the most running at once must be 2.
TEST_F(StepsTest, AcrossRunsEveryValueWithMaxInFlight) {
  std::string log = tmp_.path() + "/log";
  json step = sh_task(
      "t", "it", "echo start >> " + log + "; echo \"value ((.:v))\"; sleep 2; echo end >> " + log);
  ASSERT_EQ(run(across("v", {"a", "b", "c"}, "2", false, step)), "succeeded") << sink_.errors();
  std::string logs = sink_.logs();
  for (const char* v : {"a", "b", "c"})
    EXPECT_NE(logs.find(std::string("value ") + v), std::string::npos) << logs;
  EXPECT_NE(logs.find("across: iteration 1/3 (v=a) started"), std::string::npos) << logs;
  EXPECT_NE(logs.find("across: iteration 3/3 (v=c) succeeded"), std::string::npos) << logs;
  int running = 0, most = 0;
  std::istringstream lines(read_host_log());
  for (std::string line; std::getline(lines, line);) {
    running += line == "start" ? 1 : -1;
    most = std::max(most, running);
  }
  EXPECT_EQ(most, 2) << read_host_log();
  // Each iteration's task has a plan id of its own.
  std::set<std::string> ids;
  for (const auto& e : sink_.events())
    if (e["event"] == "finish-task")
      ids.insert(e["data"]["origin"]["id"].get<std::string>());
  EXPECT_EQ(ids, (std::set<std::string>{"t/0", "t/1", "t/2"}));
}

// With fail_fast the failing iteration stops the slow one beside it and the third never runs.
TEST_F(StepsTest, AcrossFailFastStopsTheOtherIterations) {
  std::string log = tmp_.path() + "/log";
  json step =
      sh_task("t", "it",
              "echo ((.:v)) >> " + log + "; case ((.:v)) in slow) sleep 30;; bad) exit 1;; esac");
  auto start = Clock::now();
  EXPECT_EQ(run(across("v", {"slow", "bad", "never"}, "2", true, step)), "failed");
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(20));
  std::string ran = read_host_log();
  EXPECT_NE(ran.find("slow"), std::string::npos) << ran;
  EXPECT_NE(ran.find("bad"), std::string::npos) << ran;
  EXPECT_EQ(ran.find("never"), std::string::npos) << ran;
  EXPECT_NE(sink_.logs().find("(v=bad) failed"), std::string::npos) << sink_.logs();
  EXPECT_NE(sink_.logs().find("(v=slow) aborted"), std::string::npos) << sink_.logs();
}

// Two vars: every combination, the first var varying slowest; values from load_var.
TEST_F(StepsTest, AcrossCombinesVarsAndTakesValuesFromLoadVar) {
  json vars{{"name", "os"}, {"values", "((.:oses))"}};
  json arch{{"name", "arch"}, {"values", {"x", "y"}}, {"max_in_flight", "all"}};
  json body{{"vars", json::array({vars, arch})},
            {"substep_template", sh_task("t", "it", "echo combo-((.:os))-((.:arch))").dump()}};
  json plan{{"id", "root"},
            {"do",
             {mock_get("g", "src", {{"oses.yml", "[linux, darwin]"}}),
              {{"id", "lv"},
               {"load_var", {{"load_var", "oses"}, {"file", "src/oses.yml"}, {"reveal", true}}}},
              {{"id", "ax"}, {"across", body}}}}};
  ASSERT_EQ(run(plan), "succeeded") << sink_.errors();
  std::string logs = sink_.logs();
  for (const char* c : {"combo-linux-x", "combo-linux-y", "combo-darwin-x", "combo-darwin-y"})
    EXPECT_NE(logs.find(c), std::string::npos) << logs;
  EXPECT_NE(logs.find("iteration 4/4 (os=darwin, arch=y)"), std::string::npos) << logs;
}

}  // namespace
}  // namespace concourse::atc::engine::testing
