#include "atc/engine/planner.hpp"

#include <gtest/gtest.h>

#include <set>

#include "atc/config/parse.hpp"

namespace concourse::atc::engine {
namespace {

using nlohmann::json;

const char* kPipeline = R"(
resources:
- name: repo
  type: git
  source: {uri: "file:///tmp/repo"}
- name: out
  type: mock
  tags: [fast]
  source: {}
jobs:
- name: build
  on_failure: {task: notify, config: {platform: linux, run: {path: "true"}}}
  plan:
  - in_parallel:
      limit: 2
      fail_fast: true
      steps:
      - get: repo
        params: {depth: 1}
      - get: other
        resource: out
  - task: unit
    file: repo/ci/unit.yml
    timeout: 1m
    attempts: 3
    input_mapping: {src: repo}
  - put: out
    params: {version: "2"}
    get_params: {skip: true}
    ensure:
      try:
        task: cleanup
        config: {platform: linux, run: {path: "true"}}
  - put: nogetter
    resource: out
    no_get: true
)";

class PlannerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pipeline_ = config::parse_pipeline(kPipeline);
    plan_ = plan_job(pipeline_, *pipeline_.find_job("build"),
                     {{"repo", json{{"ref", "abc"}}}, {"other", json{{"version", "7"}}}});
  }
  void collect_ids(const json& j, std::vector<std::string>& out) {
    if (j.is_object()) {
      if (j.contains("id") && j["id"].is_string())
        out.push_back(j["id"]);
      for (const auto& [k, v] : j.items())
        collect_ids(v, out);
    } else if (j.is_array()) {
      for (const auto& v : j)
        collect_ids(v, out);
    }
  }
  config::Pipeline pipeline_;
  json plan_;
};

TEST_F(PlannerTest, JobHookWrapsTheDoOfSteps) {
  ASSERT_TRUE(plan_.contains("on_failure")) << plan_.dump(2);
  EXPECT_EQ(plan_["on_failure"]["on_failure"]["task"]["name"], "notify");
  const json& steps = plan_["on_failure"]["step"]["do"];
  ASSERT_EQ(steps.size(), 4u);
}

TEST_F(PlannerTest, GetsCarryTypeSourceVersionAndTags) {
  const json& par = plan_["on_failure"]["step"]["do"][0]["in_parallel"];
  EXPECT_EQ(par["limit"], 2);
  EXPECT_EQ(par["fail_fast"], true);
  const json& repo = par["steps"][0]["get"];
  EXPECT_EQ(repo["name"], "repo");
  EXPECT_EQ(repo["type"], "git");
  EXPECT_EQ(repo["resource"], "repo");
  EXPECT_EQ(repo["source"]["uri"], "file:///tmp/repo");
  EXPECT_EQ(repo["params"]["depth"], 1);
  EXPECT_EQ(repo["version"]["ref"], "abc");
  EXPECT_FALSE(repo.contains("tags"));
  const json& other = par["steps"][1]["get"];
  EXPECT_EQ(other["resource"], "out");
  EXPECT_EQ(other["version"]["version"], "7");
  EXPECT_EQ(other["tags"], json::array({"fast"}));
}

TEST_F(PlannerTest, AttemptsRetryTimeoutWrappedTasks) {
  const json& retry = plan_["on_failure"]["step"]["do"][1]["retry"];
  ASSERT_EQ(retry.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(retry[i]["attempts"], json::array({i + 1}));
    EXPECT_EQ(retry[i]["timeout"]["duration"], "1m");
    const json& task = retry[i]["timeout"]["step"]["task"];
    EXPECT_EQ(task["config_path"], "repo/ci/unit.yml");
    EXPECT_EQ(task["input_mapping"]["src"], "repo");
    EXPECT_EQ(task["privileged"], false);
  }
  EXPECT_NE(retry[0]["timeout"]["step"]["id"], retry[1]["timeout"]["step"]["id"]);
}

TEST_F(PlannerTest, PutIsFollowedByItsDependentGet) {
  const json& ensure = plan_["on_failure"]["step"]["do"][2]["ensure"];
  EXPECT_EQ(ensure["ensure"]["try"]["step"]["task"]["name"], "cleanup");
  EXPECT_TRUE(ensure["ensure"]["try"]["step"]["task"]["config"].is_object());
  const json& os = ensure["step"]["on_success"];
  const json& put = os["step"];
  EXPECT_EQ(put["put"]["name"], "out");
  EXPECT_EQ(put["put"]["type"], "mock");
  EXPECT_EQ(put["put"]["params"]["version"], "2");
  const json& get = os["on_success"]["get"];
  EXPECT_EQ(get["name"], "out");
  EXPECT_EQ(get["version_from"], put["id"]);
  EXPECT_EQ(get["params"]["skip"], true);
}

TEST_F(PlannerTest, NoGetPutStandsAlone) {
  const json& put = plan_["on_failure"]["step"]["do"][3];
  ASSERT_TRUE(put.contains("put")) << put.dump();
  EXPECT_EQ(put["put"]["name"], "nogetter");
  EXPECT_EQ(put["put"]["resource"], "out");
}

TEST_F(PlannerTest, IdsAreUnique) {
  std::vector<std::string> ids;
  collect_ids(plan_, ids);
  EXPECT_GT(ids.size(), 15u);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size());
}

TEST(Planner, UnknownResourceThrows) {
  auto p = config::Pipeline{};
  config::Job job;
  job.name = "j";
  config::Step s;
  config::GetStep g;
  g.name = "nope";
  s.core = g;
  job.plan.push_back(s);
  EXPECT_THROW(plan_job(p, job, {}), std::invalid_argument);
}

}  // namespace
}  // namespace concourse::atc::engine
