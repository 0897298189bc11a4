// Input selection against a real PostgreSQL: latest, every, pinned, passed across two jobs, and
// passed with two upstream inputs that must come from one build of the shared upstream job.
#include <gtest/gtest.h>

#include "atc/db/builds.hpp"
#include "atc/db/pipelines.hpp"
#include "atc/db/resources.hpp"
#include "atc/scheduler/inputs.hpp"
#include "atc/scheduler/scheduler.hpp"
#include "support/postgres.hpp"

namespace concourse::atc::scheduler {
namespace {

using nlohmann::json;

class InputsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = db::Database::open(concourse::testing::TempPostgres::shared().fresh_database(),
                             log::Logger("db-test"));
  }

  // Pipeline with resources a and b and the given jobs (name -> plan).
  void pipeline(const std::vector<std::pair<std::string, json>>& jobs) {
    std::vector<db::JobSpec> specs;
    for (const auto& [name, plan] : jobs)
      specs.push_back({name, json{{"name", name}, {"plan", plan}}});
    std::vector<db::ResourceSpec> rs = {{"a", "mock", json{{"name", "a"}}, std::nullopt},
                                        {"b", "mock", json{{"name", "b"}}, std::nullopt}};
    pipeline_id_ =
        db::Pipelines(*db_).save("main", "p", json::object(), std::nullopt, specs, rs).pipeline.id;
  }
  int64_t resource(const std::string& name) {
    return db::Resources(*db_).get(pipeline_id_, name)->id;
  }
  int64_t version(const std::string& r, const std::string& v) {
    return db::Resources(*db_).save_version(resource(r), json{{"v", v}}, json::array()).id;
  }
  db::JobRow job(const std::string& name) { return *db::Pipelines(*db_).job(pipeline_id_, name); }
  InputSet select(const std::string& name) {
    auto j = job(name);
    return select_inputs(*db_, pipeline_id_, j.id, j.config);
  }
  // A finished build of job `name` that used the given versions.
  int64_t build(const std::string& name, const std::vector<std::pair<std::string, std::string>>& in,
                const std::string& status = "succeeded") {
    std::vector<db::BuildInput> inputs;
    for (const auto& [r, v] : in)
      inputs.push_back({r, resource(r), json{{"v", v}}});
    db::Builds builds(*db_);
    auto b = builds.create_job_build(job(name).id, json::object(), inputs);
    builds.start(b.id, "node");
    builds.finish(b.id, status);
    return b.id;
  }
  static std::string v(const InputSet& s, size_t i) {
    return s.inputs.at(i).version.at("v").get<std::string>();
  }

  std::unique_ptr<db::Database> db_;
  int64_t pipeline_id_ = 0;
};

TEST_F(InputsTest, LatestEnabledVersionAndWaitingWithoutOne) {
  pipeline({{"j", json::array({{{"get", "a"}, {"trigger", true}}})}});
  auto none = select("j");
  EXPECT_FALSE(none.ready);
  EXPECT_NE(none.waiting.find("waiting for a version of input 'a'"), std::string::npos);
  version("a", "1");
  int64_t v2 = version("a", "2");
  auto s = select("j");
  ASSERT_TRUE(s.ready);
  EXPECT_EQ(v(s, 0), "2");
  EXPECT_TRUE(s.has_new_trigger);
  db::Resources(*db_).set_version_enabled(resource("a"), v2, false);
  EXPECT_EQ(v(select("j"), 0), "1") << "a disabled version is never chosen";
  build("j", {{"a", "1"}});
  EXPECT_FALSE(select("j").has_new_trigger) << "a used version does not trigger again";
}

TEST_F(InputsTest, EveryTakesEachVersionInOrder) {
  pipeline({{"j", json::array({{{"get", "a"}, {"trigger", true}, {"version", "every"}}})}});
  for (auto n : {"1", "2", "3"})
    version("a", n);
  EXPECT_EQ(v(select("j"), 0), "1");
  build("j", {{"a", "1"}});
  EXPECT_EQ(v(select("j"), 0), "2");
  build("j", {{"a", "2"}}, "failed");
  auto s = select("j");
  EXPECT_EQ(v(s, 0), "3");
  EXPECT_TRUE(s.has_new_trigger);
  build("j", {{"a", "3"}});
  EXPECT_FALSE(select("j").has_new_trigger);
}

TEST_F(InputsTest, PinnedOnStepAndThroughApi) {
  pipeline({{"step", json::array({{{"get", "a"}, {"version", {{"v", "1"}}}}})},
            {"plain", json::array({{{"get", "a"}}})}});
  int64_t v1 = version("a", "1");
  version("a", "2");
  EXPECT_EQ(v(select("step"), 0), "1");
  EXPECT_EQ(v(select("plain"), 0), "2");
  db::Resources(*db_).pin(resource("a"), v1);
  EXPECT_EQ(v(select("plain"), 0), "1") << "an API pin wins over latest";
}

TEST_F(InputsTest, PassedAcrossTwoJobs) {
  pipeline({{"up", json::array({{{"get", "a"}, {"trigger", true}}})},
            {"down", json::array({{{"get", "a"}, {"trigger", true}, {"passed", {"up"}}}})}});
  version("a", "1");
  version("a", "2");
  version("a", "3");
  EXPECT_FALSE(select("down").ready);
  build("up", {{"a", "1"}});
  build("up", {{"a", "2"}});
  build("up", {{"a", "3"}}, "failed");
  auto s = select("down");
  ASSERT_TRUE(s.ready);
  EXPECT_EQ(v(s, 0), "2") << "the newest version a succeeded upstream build used";
}

TEST_F(InputsTest, PassedWithTwoUpstreamInputsComeFromOneBuild) {
  pipeline({{"up", json::array({{{"get", "a"}}, {{"get", "b"}}})},
            {"down", json::array({{{"get", "a"}, {"passed", {"up"}}},
                                  {{"get", "b"}, {"passed", {"up"}}}})}});
  for (auto n : {"1", "2"}) {
    version("a", n);
    version("b", n);
  }
  // a@2 only went through with b@1; b@2 only with a@1: no build has both newest.
  build("up", {{"a", "1"}, {"b", "1"}});
  build("up", {{"a", "2"}, {"b", "1"}});
  build("up", {{"a", "1"}, {"b", "2"}});
  auto s = select("down");
  ASSERT_TRUE(s.ready);
  EXPECT_EQ(v(s, 0), "2");
  EXPECT_EQ(v(s, 1), "1") << "b must come from the same build of 'up' as a";
}

TEST_F(InputsTest, OutputsOfPutsCountForPassed) {
  pipeline({{"up", json::array({{{"put", "a"}}})},
            {"down", json::array({{{"get", "a"}, {"passed", {"up"}}}})}});
  db::Builds builds(*db_);
  json plan = {{"id", "1"}, {"put", {{"resource", "a"}}}};
  auto b = builds.create_job_build(job("up").id, plan, {});
  builds.start(b.id, "node");
  builds.append_event(b.id, "finish-put", {{"origin", {{"id", "1"}}}, {"version", {{"v", "7"}}}});
  builds.finish(b.id, "succeeded");
  record_outputs(*db_, b.id);
  auto s = select("down");
  ASSERT_TRUE(s.ready);
  EXPECT_EQ(v(s, 0), "7");
}

}  // namespace
}  // namespace concourse::atc::scheduler
