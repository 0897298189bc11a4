// set_pipeline through a real web node: the real Engine, its DbPipelineStore on a throw-away
// PostgreSQL database, a real houdini worker registered over the API, builds triggered over the
// API. The pipeline the step sets is then visible (and runnable) through the API.
#include <thread>

#include "atc/db/builds.hpp"
#include "atc/db/pipelines.hpp"
#include "atc/db/resources.hpp"
#include "steps_fixture.hpp"
#include "web_fixture.hpp"

namespace concourse::atc::testing {
namespace {

using engine::testing::can_run_workers;
using engine::testing::worker_target;

constexpr const char* kParent = R"yaml(
resources:
- name: cfg
  type: mock
  version: {version: v1}
  source:
    create_files:
      child.yml: |
        jobs:
        - name: hello
          plan:
          - task: say
            config:
              platform: linux
              run: {path: echo, args: ["((greeting))", "((from_file))"]}
      vars.yml: |
        from_file: from-var-file
        greeting: overridden-by-vars
      bad.yml: |
        jobs:
        - name: broken
          plan:
          - get: no-such-resource
jobs:
- name: setter
  plan:
  - get: cfg
  - set_pipeline: child
    file: cfg/child.yml
    vars: {greeting: hi}
    var_files: [cfg/vars.yml]
- name: bad-setter
  plan:
  - get: cfg
  - set_pipeline: broken
    file: cfg/bad.yml
)yaml";

class SetPipelineStepTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!can_run_workers())
      GTEST_SKIP() << "houdini chroots into resource rootfs only as root";
    node_ = std::make_unique<WebNode>(
        node_options(concourse::testing::TempPostgres::shared().fresh_database()),
        concourse::log::Logger("web"));
    node_->start();
    admin_ = Api{node_->api_port(), login(node_->api_port(), "admin", "secret")};
    engine::WorkerTarget w = worker_target();
    json body = worker_body(w.name);
    body["addr"] = w.garden_addr;
    body["baggageclaim_url"] = w.baggageclaim_url;
    body["resource_types"] = w.resource_types;
    Api system{node_->api_port(), system_token(*node_)};
    auto reg = system("POST", "/api/v1/workers?ttl=1h", body.dump());
    ASSERT_EQ(reg.status, 200) << reg.body;
    auto put = concourse::testing::http(
        "PUT", admin_.port, "/api/v1/teams/main/pipelines/parent/config", kParent,
        {{"Authorization", "Bearer " + admin_.token}, {"Content-Type", "application/x-yaml"}});
    ASSERT_EQ(put.status, 201) << put.body;
    ASSERT_EQ(admin_("PUT", "/api/v1/teams/main/pipelines/parent/unpause").status, 200);
    // The version a check would find, so the scheduler has the input at once.
    auto p = db::Pipelines(node_->database()).get("main", "parent");
    auto r = db::Resources(node_->database()).get(p->id, "cfg");
    db::Resources(node_->database()).save_version(r->id, json{{"version", "v1"}}, json::array());
  }
  void TearDown() override { node_.reset(); }

  // Triggers the job and waits for its build to end; returns the build.
  json run_job(const std::string& pipeline, const std::string& job) {
    auto t =
        admin_("POST", "/api/v1/teams/main/pipelines/" + pipeline + "/jobs/" + job + "/builds");
    EXPECT_EQ(t.status, 200) << t.body;
    int64_t id = json::parse(t.body).value("id", int64_t{0});
    for (int i = 0; i < 1500; ++i) {
      auto b = json::parse(admin_("GET", "/api/v1/builds/" + std::to_string(id)).body);
      if (b["status"] != "pending" && b["status"] != "started")
        return b;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return json();
  }

  std::string events_text(int64_t build_id) {
    std::string out;
    for (const auto& e : db::Builds(node_->database()).events_after(build_id, -1, 1000)) {
      if (e.type == "log")
        out += e.payload.value("payload", "");
      else if (e.type == "error")
        out += "error: " + e.payload.value("message", "") + "\n";
    }
    return out;
  }

  std::unique_ptr<WebNode> node_;
  Api admin_;
};

TEST_F(SetPipelineStepTest, CreatesAnUnpausedPipelineVisibleThroughTheApi) {
  json build = run_job("parent", "setter");
  int64_t id = build.value("id", int64_t{0});
  ASSERT_EQ(build["status"], "succeeded") << events_text(id);
  std::string log = events_text(id);
  EXPECT_NE(log.find("job hello has been added"), std::string::npos) << log;
  EXPECT_NE(log.find("setting pipeline: child"), std::string::npos) << log;

  auto p = admin_("GET", "/api/v1/teams/main/pipelines/child");
  ASSERT_EQ(p.status, 200) << p.body;
  EXPECT_EQ(json::parse(p.body)["paused"], false);
  auto cfg = json::parse(admin_("GET", "/api/v1/teams/main/pipelines/child/config").body);
  json args = cfg["config"]["jobs"][0]["plan"][0]["config"]["run"]["args"];
  // The step's vars win over its var_files.
  EXPECT_EQ(args, json::array({"hi", "from-var-file"})) << cfg.dump();

  // The new pipeline's job runs on the same worker.
  json child = run_job("child", "hello");
  EXPECT_EQ(child["status"], "succeeded") << events_text(child.value("id", int64_t{0}));
  EXPECT_NE(events_text(child.value("id", int64_t{0})).find("hi from-var-file"), std::string::npos);

  // Setting the same config again changes nothing.
  json again = run_job("parent", "setter");
  int64_t again_id = again.value("id", int64_t{0});
  ASSERT_EQ(again["status"], "succeeded") << events_text(again_id);
  EXPECT_NE(events_text(again_id).find("no changes to apply."), std::string::npos);
  auto after = admin_("GET", "/api/v1/teams/main/pipelines/child/config");
  EXPECT_EQ(after.headers["x-concourse-config-version"], "1");
}

TEST_F(SetPipelineStepTest, AnInvalidConfigErrorsTheBuildAndSavesNothing) {
  json build = run_job("parent", "bad-setter");
  int64_t id = build.value("id", int64_t{0});
  EXPECT_EQ(build["status"], "errored") << events_text(id);
  std::string log = events_text(id);
  EXPECT_NE(log.find("invalid pipeline config cfg/bad.yml"), std::string::npos) << log;
  EXPECT_NE(log.find("no-such-resource"), std::string::npos) << log;
  EXPECT_EQ(admin_("GET", "/api/v1/teams/main/pipelines/broken").status, 404);
}

}  // namespace
}  // namespace concourse::atc::testing
