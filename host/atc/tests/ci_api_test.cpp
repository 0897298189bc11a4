// Pipelines, jobs, builds and the build event stream over real HTTP against a web node whose
// BuildRunner is a test double.
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>

#include <thread>

#include "atc/db/builds.hpp"
#include "atc/db/pipelines.hpp"
#include "atc/db/resources.hpp"
#include "atc/scheduler/wakeup.hpp"
#include "ci_fixture.hpp"
#include "web_fixture.hpp"

namespace concourse::atc::testing {
namespace {

using concourse::testing::http;

class CiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    params_ = concourse::testing::TempPostgres::shared().fresh_database();
    start_node();
  }
  void start_node() {
    auto o = node_options(params_);
    o.api.node_name = "ci-test-node";
    o.build_runner = &runner_;
    o.planner = test_plan;
    node_ = std::make_unique<WebNode>(o, concourse::log::Logger("web"));
    node_->start();
    admin_ = Api{node_->api_port(), login(node_->api_port(), "admin", "secret")};
  }
  void TearDown() override { node_.reset(); }

  concourse::testing::HttpReply put_config(const std::string& body, const std::string& type,
                                           const std::string& version = "") {
    std::map<std::string, std::string> h = {{"Authorization", "Bearer " + admin_.token},
                                            {"Content-Type", type}};
    if (!version.empty())
      h["X-Concourse-Config-Version"] = version;
    return http("PUT", admin_.port, "/api/v1/teams/main/pipelines/ci/config", body, h);
  }

  json wait_build(int64_t id) {
    for (int i = 0; i < 500; ++i) {
      auto b = json::parse(admin_("GET", "/api/v1/builds/" + std::to_string(id)).body);
      if (b["status"] != "pending" && b["status"] != "started")
        return b;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return json();
  }

  GatedRunner runner_;
  db::ConnParams params_;
  std::unique_ptr<WebNode> node_;
  Api admin_;
};

TEST_F(CiTest, SetPipelineCreatesPausedThenUpdatesWithTheVersion) {
  auto created = put_config(kPipelineYaml, "application/x-yaml");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_TRUE(json::parse(created.body)["warnings"].is_array());
  auto p = json::parse(admin_("GET", "/api/v1/teams/main/pipelines/ci").body);
  EXPECT_EQ(p["paused"], true);
  auto cfg = admin_("GET", "/api/v1/teams/main/pipelines/ci/config");
  ASSERT_EQ(cfg.status, 200);
  EXPECT_EQ(cfg.headers["x-concourse-config-version"], "1");
  auto body = json::parse(cfg.body);
  EXPECT_EQ(body["config"]["jobs"][0]["name"], "unit");

  EXPECT_EQ(put_config(kPipelineYaml, "application/x-yaml").status, 409);
  EXPECT_EQ(put_config(kPipelineYaml, "application/x-yaml", "5").status, 409);
  EXPECT_EQ(put_config(body["config"].dump(), "application/json", "1").status, 200);
  EXPECT_EQ(put_config(kPipelineYaml, "text/plain", "2").status, 415);
  auto jobs = json::parse(admin_("GET", "/api/v1/teams/main/pipelines/ci/jobs").body);
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(jobs[0]["inputs"][0]["resource"], "repo");
  auto all = json::parse(admin_("GET", "/api/v1/pipelines").body);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0]["team_name"], "main");
}

TEST_F(CiTest, BadConfigAnswersErrorsWithPositions) {
  auto r =
      put_config("jobs:\n- name: a\n  plan:\n  - get: nope\n    bogus: 1\n", "application/x-yaml");
  ASSERT_EQ(r.status, 400) << r.body;
  auto errors = json::parse(r.body)["errors"];
  ASSERT_FALSE(errors.empty());
  EXPECT_NE(errors.dump().find("line"), std::string::npos) << errors.dump();
  EXPECT_EQ(admin_("GET", "/api/v1/teams/main/pipelines/ci").status, 404);
}

TEST_F(CiTest, PauseExposeRenameAndDestroy) {
  ASSERT_EQ(put_config(kPipelineYaml, "application/x-yaml").status, 201);
  EXPECT_EQ(admin_("PUT", "/api/v1/teams/main/pipelines/ci/unpause").status, 200);
  EXPECT_EQ(admin_("PUT", "/api/v1/teams/main/pipelines/ci/expose").status, 200);
  auto p = json::parse(admin_("GET", "/api/v1/teams/main/pipelines/ci").body);
  EXPECT_EQ(p["paused"], false);
  EXPECT_EQ(p["public"], true);
  Api anonymous{admin_.port, ""};
  EXPECT_EQ(anonymous("GET", "/api/v1/teams/main/pipelines/ci").status, 200);
  EXPECT_EQ(anonymous("PUT", "/api/v1/teams/main/pipelines/ci/pause").status, 401);
  EXPECT_EQ(admin_("PUT", "/api/v1/teams/main/pipelines/ci/rename", R"({"name":"cd"})").status,
            200);
  EXPECT_EQ(admin_("GET", "/api/v1/teams/main/pipelines/cd").status, 200);
  EXPECT_EQ(admin_("DELETE", "/api/v1/teams/main/pipelines/cd").status, 204);
  EXPECT_EQ(admin_("GET", "/api/v1/teams/main/pipelines/cd").status, 404);
}

TEST_F(CiTest, TriggerPlansWithTheLatestVersionAndRunsTheBuild) {
  ASSERT_EQ(put_config(kPipelineYaml, "application/x-yaml").status, 201);
  auto p = db::Pipelines(node_->database()).get("main", "ci");
  auto r = db::Resources(node_->database()).get(p->id, "repo");
  db::Resources(node_->database()).save_version(r->id, json{{"ref", "abc"}}, json::array());
  auto t = admin_("POST", "/api/v1/teams/main/pipelines/ci/jobs/unit/builds");
  ASSERT_EQ(t.status, 200) << t.body;
  auto build = json::parse(t.body);
  EXPECT_EQ(build["name"], "1");
  EXPECT_EQ(build["job_name"], "unit");
  EXPECT_EQ(build["pipeline_name"], "ci");
  auto done = wait_build(build["id"].get<int64_t>());
  EXPECT_EQ(done["status"], "succeeded");
  EXPECT_EQ(runner_.last_plan["versions"]["repo"]["ref"], "abc");
  auto plan = json::parse(admin_("GET", "/api/v1/builds/" + build["id"].dump() + "/plan").body);
  EXPECT_EQ(plan["plan"]["job"], "unit");
  auto listed = json::parse(admin_("GET", "/api/v1/teams/main/pipelines/ci/jobs/unit/builds").body);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(admin_("GET", "/api/v1/teams/main/pipelines/ci/jobs/unit/builds/1").status, 200);
  EXPECT_EQ(admin_("POST", "/api/v1/teams/main/pipelines/ci/jobs/manual-off/builds").status, 409);
}

// Reads SSE frames ("id/event/data" blocks) from a live stream.
struct SseReader {
  Poco::Net::HTTPClientSession session;
  std::istream* in = nullptr;

  SseReader(uint16_t port, const std::string& path, const std::string& token)
      : session("127.0.0.1", port) {
    session.setTimeout(Poco::Timespan(20, 0));
    Poco::Net::HTTPRequest req("GET", path, Poco::Net::HTTPMessage::HTTP_1_1);
    req.set("Authorization", "Bearer " + token);
    session.sendRequest(req);
    Poco::Net::HTTPResponse resp;
    in = &session.receiveResponse(resp);
  }
  // One frame's lines joined, "" at the end of the stream.
  std::string next() {
    std::string frame, line;
    while (std::getline(*in, line)) {
      if (line.empty() && !frame.empty())
        return frame;
      if (!line.empty())
        frame += line + "\n";
    }
    return frame;
  }
};

TEST_F(CiTest, EventStreamDeliversLogsWhileTheBuildRunsAndEnds) {
  runner_.hold = true;
  ASSERT_EQ(put_config(kPipelineYaml, "application/x-yaml").status, 201);
  // A trigger waits (pending) until its inputs have versions; give it one so it runs.
  auto p = db::Pipelines(node_->database()).get("main", "ci");
  auto r = db::Resources(node_->database()).get(p->id, "repo");
  db::Resources(node_->database()).save_version(r->id, json{{"ref", "abc"}}, json::array());
  auto build = json::parse(admin_("POST", "/api/v1/teams/main/pipelines/ci/jobs/unit/builds").body);
  SseReader sse(admin_.port, "/api/v1/builds/" + build["id"].dump() + "/events", admin_.token);
  std::string frame;
  while ((frame = sse.next()).find("hello from the build") == std::string::npos)
    ASSERT_FALSE(frame.empty()) << "stream ended before the first log line";
  EXPECT_NE(frame.find("event: event"), std::string::npos);
  EXPECT_NE(frame.find(R"("event":"log")"), std::string::npos);
  // The build is still held open: the line came live, not after the fact.
  EXPECT_EQ(json::parse(admin_("GET", "/api/v1/builds/" + build["id"].dump()).body)["status"],
            "started");
  runner_.release();
  std::vector<std::string> rest;
  while (!(frame = sse.next()).empty())
    rest.push_back(frame);
  ASSERT_GE(rest.size(), 3u);
  EXPECT_NE(rest[rest.size() - 2].find(R"("status":"succeeded")"), std::string::npos);
  EXPECT_EQ(rest.back().rfind("event: end", 0), 0u) << rest.back();
}

TEST_F(CiTest, AbortStopsARunningBuild) {
  runner_.hold = true;
  ASSERT_EQ(put_config(kPipelineYaml, "application/x-yaml").status, 201);
  auto build = json::parse(admin_("POST", "/api/v1/teams/main/pipelines/ci/jobs/unit/builds").body);
  std::string id = build["id"].dump();
  for (int i = 0;
       i < 200 && json::parse(admin_("GET", "/api/v1/builds/" + id).body)["status"] != "started";
       ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(admin_("PUT", "/api/v1/builds/" + id + "/abort").status, 204);
  EXPECT_EQ(wait_build(build["id"].get<int64_t>())["status"], "aborted");
}

TEST_F(CiTest, OneOffBuildsRunTheGivenPlan) {
  auto r = admin_("POST", "/api/v1/teams/main/builds", R"({"id":"x","do":[]})");
  ASSERT_EQ(r.status, 201) << r.body;
  auto b = json::parse(r.body);
  EXPECT_EQ(b["name"], b["id"].dump());
  EXPECT_EQ(wait_build(b["id"].get<int64_t>())["status"], "succeeded");
  EXPECT_EQ(runner_.last_plan["id"], "x");
}

TEST_F(CiTest, RestartErrorsBuildsTheNodeLost) {
  db::Builds builds(node_->database());
  auto b = builds.create_one_off("main", json::object());
  builds.start(b.id, "ci-test-node");
  // Claimed by the node's scheduler but not started when it died: it waits to be claimed again.
  auto claimed = builds.create_one_off("main", json::object());
  node_->database().exec("UPDATE builds SET claimed_by = 'ci-test-node' WHERE id = $1",
                         {std::to_string(claimed.id)});
  node_.reset();
  start_node();
  EXPECT_EQ(node_->database()
                .exec("SELECT claimed_by FROM builds WHERE id = $1", {std::to_string(claimed.id)})
                .get(0, 0),
            "");
  auto after = json::parse(admin_("GET", "/api/v1/builds/" + std::to_string(b.id)).body);
  EXPECT_EQ(after["status"], "errored");
  auto events = db::Builds(node_->database()).events_after(b.id, -1);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events[0].payload["message"], "build lost: the web node restarted");
}

TEST_F(CiTest, ResourcesVersionsPinsAndChecks) {
  ASSERT_EQ(put_config(kPipelineYaml, "application/x-yaml").status, 201);
  auto p = db::Pipelines(node_->database()).get("main", "ci");
  auto r = db::Resources(node_->database()).get(p->id, "repo");
  auto v = db::Resources(node_->database()).save_version(r->id, json{{"ref", "a"}}, json::array());
  const std::string base = "/api/v1/teams/main/pipelines/ci/resources";
  auto list = json::parse(admin_("GET", base).body);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["type"], "git");
  auto versions = json::parse(admin_("GET", base + "/repo/versions").body);
  ASSERT_EQ(versions.size(), 1u);
  std::string vid = std::to_string(v.id);
  EXPECT_EQ(admin_("PUT", base + "/repo/versions/" + vid + "/disable").status, 200);
  EXPECT_EQ(json::parse(admin_("GET", base + "/repo/versions").body)[0]["enabled"], false);
  EXPECT_EQ(admin_("PUT", base + "/repo/versions/" + vid + "/pin").status, 200);
  EXPECT_EQ(admin_("PUT", base + "/repo/pin_comment", R"({"pin_comment":"hold"})").status, 200);
  auto pinned = json::parse(admin_("GET", base + "/repo").body);
  EXPECT_EQ(pinned["pinned_version"]["ref"], "a");
  EXPECT_EQ(pinned["pin_comment"], "hold");
  EXPECT_EQ(admin_("PUT", base + "/repo/unpin").status, 200);
  EXPECT_EQ(admin_("POST", base + "/repo/check", "{}").status, 201);
}

// A manual trigger without input versions waits, pending, and the scheduler starts it once a
// check saves one; the webhook answers 401 without the resource's token and 404 for no resource.
TEST_F(CiTest, TriggerWaitsForInputsThenTheSchedulerRunsIt) {
  ASSERT_EQ(put_config(kPipelineYaml, "application/x-yaml").status, 201);
  auto build = json::parse(admin_("POST", "/api/v1/teams/main/pipelines/ci/jobs/unit/builds").body);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(json::parse(admin_("GET", "/api/v1/builds/" + build["id"].dump()).body)["status"],
            "pending");
  // The preparation says what holds it: the paused pipeline and the missing input version.
  const std::string prep = "/api/v1/builds/" + build["id"].dump() + "/preparation";
  auto waiting = json::parse(admin_("GET", prep).body);
  EXPECT_EQ(waiting["paused_pipeline"], "blocking") << waiting.dump();
  EXPECT_EQ(waiting["paused_job"], "not_blocking");
  EXPECT_EQ(waiting["inputs_satisfied"], "blocking");
  EXPECT_TRUE(waiting["inputs"].contains("repo")) << waiting.dump();
  ASSERT_EQ(admin_("PUT", "/api/v1/teams/main/pipelines/ci/unpause").status, 200);
  auto p = db::Pipelines(node_->database()).get("main", "ci");
  auto r = db::Resources(node_->database()).get(p->id, "repo");
  db::Resources(node_->database()).save_version(r->id, json{{"ref", "later"}}, json::array());
  scheduler::schedule_signal().notify();
  EXPECT_EQ(wait_build(build["id"].get<int64_t>())["status"], "succeeded");
  EXPECT_EQ(runner_.last_plan["versions"]["repo"]["ref"], "later");
  auto ran = json::parse(admin_("GET", prep).body);
  EXPECT_EQ(ran["inputs_satisfied"], "not_blocking");
  EXPECT_EQ(ran["paused_pipeline"], "not_blocking");
  const std::string hook = "/api/v1/teams/main/pipelines/ci/resources/";
  EXPECT_EQ(admin_("POST", hook + "repo/check/webhook?webhook_token=x").status, 401);
  EXPECT_EQ(admin_("POST", hook + "nope/check/webhook?webhook_token=x").status, 404);
}

}  // namespace
}  // namespace concourse::atc::testing
