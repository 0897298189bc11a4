// The pipeline, job, build and resource verbs against a real in-process web node whose
// BuildRunner is a test double, with a temp HOME holding the target.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "atc/db/pipelines.hpp"
#include "atc/db/resources.hpp"
#include "ci_fixture.hpp"
#include "fly/fly.hpp"
#include "fly/flyrc.hpp"
#include "web_fixture.hpp"

namespace concourse::fly {
namespace {

using atc::testing::GatedRunner;

struct Result {
  int rc;
  std::string out, err;
};

class FlyCiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/fly-ci-home-XXXXXX";
    home_ = ::mkdtemp(tmpl);
    const char* old = std::getenv("HOME");
    old_home_ = old ? old : "";
    ::setenv("HOME", home_.c_str(), 1);
    auto o =
        atc::testing::node_options(concourse::testing::TempPostgres::shared().fresh_database());
    o.api.node_name = "fly-ci-test";
    o.build_runner = &runner_;
    o.planner = atc::testing::test_plan;
    node_ = std::make_unique<atc::WebNode>(o, concourse::log::Logger("web"));
    node_->start();
    std::string url = "http://127.0.0.1:" + std::to_string(node_->api_port());
    TargetProps p;
    p.api = url;
    p.token = TargetToken{"bearer", atc::testing::login(node_->api_port(), "admin", "secret")};
    Flyrc rc = Flyrc::load(home_ + "/.flyrc");
    rc.save_target("ci", p);
    rc.write(home_ + "/.flyrc");
  }
  void TearDown() override {
    node_.reset();
    ::setenv("HOME", old_home_.c_str(), 1);
    std::filesystem::remove_all(home_);
  }

  Result fly(std::vector<std::string> args, const std::string& input = "") {
    std::ostringstream out, err;
    std::istringstream in(input);
    Context ctx(out, err);
    ctx.in = &in;
    int rc = run(args, ctx);
    return {rc, out.str(), err.str()};
  }

  std::string write_file(const std::string& name, const std::string& text) {
    std::string path = home_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }

  // A trigger waits (pending) until every get has a version; no checker runs here, so the
  // test saves the version a check would have found.
  void give_repo_a_version() {
    auto p = atc::db::Pipelines(node_->database()).get("main", "ci");
    ASSERT_TRUE(p);
    auto r = atc::db::Resources(node_->database()).get(p->id, "repo");
    ASSERT_TRUE(r);
    atc::db::Resources(node_->database())
        .save_version(r->id, nlohmann::json{{"ref", "abc"}}, nlohmann::json::array());
  }

  GatedRunner runner_;
  std::string home_, old_home_;
  std::unique_ptr<atc::WebNode> node_;
};

TEST_F(FlyCiTest, SetPipelineTriggerAndWatch) {
  auto file = write_file("p.yml", atc::testing::kPipelineYaml);
  auto sp = fly({"-t", "ci", "set-pipeline", "-p", "ci", "-c", file, "-n"});
  ASSERT_EQ(sp.rc, 0) << sp.err;
  EXPECT_NE(sp.out.find("pipeline created!"), std::string::npos) << sp.out;
  EXPECT_NE(sp.out.find("+ "), std::string::npos);

  auto ps = fly({"-t", "ci", "pipelines"});
  ASSERT_EQ(ps.rc, 0) << ps.err;
  EXPECT_NE(ps.out.find("ci"), std::string::npos);
  EXPECT_NE(ps.out.find("yes"), std::string::npos);  // paused
  EXPECT_EQ(fly({"-t", "ci", "unpause-pipeline", "-p", "ci"}).out, "unpaused 'ci'\n");

  give_repo_a_version();
  auto tj = fly({"-t", "ci", "trigger-job", "-j", "ci/unit", "-w"});
  EXPECT_EQ(tj.rc, 0) << tj.err;
  EXPECT_NE(tj.out.find("started ci/unit #1"), std::string::npos) << tj.out;
  EXPECT_NE(tj.out.find("running echo hi\n"), std::string::npos) << tj.out;
  EXPECT_NE(tj.out.find("hello from the build\nsecond line\n"), std::string::npos) << tj.out;
  EXPECT_NE(tj.out.find("succeeded\n"), std::string::npos) << tj.out;

  auto bs = fly({"-t", "ci", "builds", "-j", "ci/unit"});
  EXPECT_NE(bs.out.find("succeeded"), std::string::npos) << bs.out;
  auto js = fly({"-t", "ci", "jobs", "-p", "ci"});
  EXPECT_NE(js.out.find("unit"), std::string::npos) << js.out;
  auto rs = fly({"-t", "ci", "resources", "-p", "ci"});
  EXPECT_NE(rs.out.find("git"), std::string::npos) << rs.out;

  // Unchanged config: no diff, and the version header lets the update through.
  auto again = fly({"-t", "ci", "set-pipeline", "-p", "ci", "-c", file, "-n"});
  EXPECT_EQ(again.rc, 0) << again.err;
  EXPECT_NE(again.out.find("configuration updated"), std::string::npos) << again.out;
  auto gp = fly({"-t", "ci", "get-pipeline", "-p", "ci"});
  EXPECT_NE(gp.out.find("name: unit"), std::string::npos) << gp.out;
}

TEST_F(FlyCiTest, WatchExitCodeFollowsTheBuildStatus) {
  runner_.result = "failed";
  auto file = write_file("p.yml", atc::testing::kPipelineYaml);
  ASSERT_EQ(fly({"-t", "ci", "set-pipeline", "-p", "ci", "-c", file, "-n"}).rc, 0);
  give_repo_a_version();
  auto tj = fly({"-t", "ci", "trigger-job", "-j", "ci/unit", "-w"});
  EXPECT_EQ(tj.rc, 1) << tj.out;
  EXPECT_NE(tj.out.find("failed\n"), std::string::npos);
  auto w = fly({"-t", "ci", "watch", "-j", "ci/unit"});
  EXPECT_EQ(w.rc, 1);
  EXPECT_NE(w.out.find("hello from the build"), std::string::npos);
}

TEST_F(FlyCiTest, DryRunAndDeclinedConfirmationChangeNothing) {
  auto file = write_file("p.yml", atc::testing::kPipelineYaml);
  auto dry = fly({"-t", "ci", "set-pipeline", "-p", "ci", "-c", file, "-d"});
  EXPECT_EQ(dry.rc, 0) << dry.err;
  auto declined = fly({"-t", "ci", "set-pipeline", "-p", "ci", "-c", file}, "n\n");
  EXPECT_NE(declined.out.find("apply configuration? [yN]"), std::string::npos);
  EXPECT_NE(fly({"-t", "ci", "get-pipeline", "-p", "ci"}).rc, 0);
  ASSERT_EQ(fly({"-t", "ci", "set-pipeline", "-p", "ci", "-c", file}, "y\n").rc, 0);
  auto d = fly({"-t", "ci", "destroy-pipeline", "-p", "ci", "-n"});
  EXPECT_NE(d.out.find("`ci` deleted"), std::string::npos) << d.out;
}

TEST_F(FlyCiTest, ValidatePipelinePointsAtLines) {
  auto bad = write_file("bad.yml", "jobs:\n- name: a\n  plan:\n  - get: repo\n    bogus: 1\n");
  auto r = fly({"validate-pipeline", "-c", bad});
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("line 5"), std::string::npos) << r.err;
  auto good = write_file("good.yml", atc::testing::kPipelineYaml);
  auto ok = fly({"validate-pipeline", "-c", good});
  EXPECT_EQ(ok.rc, 0) << ok.err;
  EXPECT_EQ(ok.out, "looks good\n");
}

}  // namespace
}  // namespace concourse::fly
