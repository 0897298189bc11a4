// The verbs end to end: real command functions, a temp HOME, and the fake ATC.
#include <Poco/Net/ServerSocket.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "fake_atc.hpp"
#include "fly/fly.hpp"
#include "fly/flyrc.hpp"

namespace concourse::fly {
namespace {

using testing::FakeAtc;
using testing::make_jwt;

struct Result {
  int rc;
  std::string out;
  std::string err;
};

const char* kWorkers = R"([
  {"addr":"10.0.0.2:7777","baggageclaim_url":"http://10.0.0.2:7788","active_containers":3,
   "active_volumes":5,"active_tasks":1,"resource_types":[{"type":"git"},{"type":"time"}],
   "platform":"linux","tags":["gpu"],"team":"","name":"w-run","version":"2.5",
   "start_time":START,"ephemeral":false,"state":"running"},
  {"addr":"10.0.0.3:7777","baggageclaim_url":"","active_containers":0,"platform":"linux",
   "tags":[],"team":"ops","name":"w-old","version":"2.3","start_time":0,"state":"running"},
  {"addr":"","active_containers":0,"platform":"linux","tags":null,"team":"","name":"w-stalled",
   "version":"2.5","start_time":0,"state":"stalled"}
])";

class FlyCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/fly-home-XXXXXX";
    home_ = ::mkdtemp(tmpl);
    const char* old = std::getenv("HOME");
    old_home_ = old ? old : "";
    ::setenv("HOME", home_.c_str(), 1);
  }
  void TearDown() override {
    ::setenv("HOME", old_home_.c_str(), 1);
    std::filesystem::remove_all(home_);
  }

  Result fly(const std::vector<std::string>& args, bool tty = false) {
    std::ostringstream out, err;
    Context ctx(out, err);
    ctx.out_is_tty = tty;
    int rc = run(args, ctx);
    return {rc, out.str(), err.str()};
  }

  // A logged-in target without going through login, for the verbs that only read it.
  void save_target(const std::string& name, const std::string& url, const std::string& token,
                   const std::string& team = "main") {
    std::string path = home_ + "/.flyrc";
    Flyrc rc = Flyrc::load(path);
    TargetProps p;
    p.api = url;
    p.team = team;
    p.token = TargetToken{"bearer", token};
    rc.save_target(name, p);
    rc.write(path);
  }

  std::string workers_json() {
    auto now = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    std::string s = kWorkers;
    s.replace(s.find("START"), 5, std::to_string(now - 7500));
    return s;
  }

  FakeAtc atc_;
  std::string home_;
  std::string old_home_;
};

TEST_F(FlyCommandsTest, LoginSavesTargetAndKeepsOthers) {
  save_target("other", "http://elsewhere:8080", "keep-me", "ops");
  Result r = fly({"-t", "ci", "login", "-c", atc_.url(), "-u", "admin", "-p", "s3cret"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "logging in to team 'main'\n\n\ntarget saved\n");
  auto reqs = atc_.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].uri, "/sky/issuer/token");
  EXPECT_EQ(reqs[0].authorization, "Basic Zmx5OlpteDU=");

  auto targets = Flyrc::load(home_ + "/.flyrc").targets();
  ASSERT_EQ(targets.size(), 2u);
  EXPECT_EQ(targets["ci"].api, atc_.url());
  EXPECT_EQ(targets["ci"].team, "main");
  EXPECT_EQ(targets["ci"].token->type, "bearer");
  EXPECT_EQ(targets["ci"].token->value, "opaque-token");
  EXPECT_EQ(targets["other"].token->value, "keep-me");
  EXPECT_EQ(targets["other"].team, "ops");
  struct stat st {};
  ASSERT_EQ(::stat((home_ + "/.flyrc").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  // The saved token works for the next command.
  atc_.route("GET", "/api/v1/workers", 200, "[]");
  atc_.route("GET", "/api/v1/info", 200, R"({"version":"7.11.0","worker_version":"2.5"})");
  EXPECT_EQ(fly({"-t", "ci", "workers"}).rc, 0);
}

TEST_F(FlyCommandsTest, ReloginReusesSavedUrlAndTeamFlag) {
  ASSERT_EQ(fly({"-t", "ci", "login", "-c", atc_.url(), "-u", "admin", "-p", "s3cret"}).rc, 0);
  atc_.token = make_jwt(R"({"teams":{"ops":["member"]},"user_name":"admin","exp":2000000000})");
  Result r = fly({"login", "-t", "ci", "-n", "ops", "-u", "admin", "-p", "s3cret"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out.rfind("logging in to team 'ops'\n", 0), 0u);
  EXPECT_EQ(Flyrc::load(home_ + "/.flyrc").target("ci").team, "ops");
}

TEST_F(FlyCommandsTest, LoginFailures) {
  Result bad = fly({"-t", "ci", "login", "-c", atc_.url(), "-u", "admin", "-p", "wrong"});
  EXPECT_EQ(bad.rc, 1);
  EXPECT_EQ(bad.err, "error: failed to log in: 401 Unauthorized: invalid username and password\n");
  EXPECT_FALSE(std::filesystem::exists(home_ + "/.flyrc"));

  Result no_target = fly({"login", "-c", atc_.url(), "-u", "admin", "-p", "s3cret"});
  EXPECT_EQ(no_target.rc, 1);
  EXPECT_EQ(no_target.err, "error: name for the target must be specified (--target/-t)\n");

  Result unknown = fly({"-t", "nope", "login", "-u", "admin", "-p", "s3cret"});
  EXPECT_EQ(unknown.err, "error: unknown target: nope\n");

  atc_.token = make_jwt(R"({"teams":{"other":["owner"]},"user_name":"admin"})");
  Result team = fly({"-t", "ci", "login", "-c", atc_.url(), "-u", "admin", "-p", "s3cret"});
  EXPECT_EQ(team.rc, 1);
  EXPECT_EQ(team.err, "error: user [admin] is not in team [main]\n");
}

TEST_F(FlyCommandsTest, TargetsListsExpiry) {
  save_target("b-opaque", "http://b:8080", "opaque");
  save_target("a-jwt", "http://a:8080", make_jwt(R"({"exp":1700000000})"), "ops");
  Result r = fly({"--print-table-headers", "targets"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out,
            "name      url            team  expiry                       \n"
            "a-jwt     http://a:8080  ops   Tue, 14 Nov 2023 22:13:20 UTC\n"
            "b-opaque  http://b:8080  main  n/a: invalid token           \n");
}

TEST_F(FlyCommandsTest, WorkersPipedIsOneTable) {
  save_target("ci", atc_.url(), "opaque-token");
  atc_.route("GET", "/api/v1/workers", 200, workers_json());
  atc_.route("GET", "/api/v1/info", 200, R"({"version":"7.11.0","worker_version":"2.5"})");
  Result r = fly({"-t", "ci", "workers"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out,
            "w-run      3  linux  gpu   none  running  2.5  2h5m\n"
            "w-old      0  linux  none  ops   running  2.3  n/a \n"
            "w-stalled  0  linux  none  none  stalled  2.5  n/a \n");
  auto reqs = atc_.requests();
  ASSERT_FALSE(reqs.empty());
  EXPECT_EQ(reqs[0].authorization, "Bearer opaque-token");
}

TEST_F(FlyCommandsTest, WorkersOnTerminalSeparatesOutdatedAndStalled) {
  save_target("ci", atc_.url(), "opaque-token");
  atc_.route("GET", "/api/v1/workers", 200, workers_json());  // no /api/v1/info: assume 2.5
  Result r = fly({"-t", "ci", "workers"}, true);
  ASSERT_EQ(r.rc, 0) << r.err;
  size_t outdated = r.out.find("the following workers need to be updated to version ");
  size_t stalled = r.out.find("the following workers have not checked in recently:");
  ASSERT_NE(outdated, std::string::npos) << r.out;
  ASSERT_NE(stalled, std::string::npos) << r.out;
  EXPECT_NE(r.out.find("2.5"), std::string::npos);
  EXPECT_LT(r.out.find("w-run"), outdated);
  EXPECT_GT(r.out.find("w-old"), outdated);
  EXPECT_LT(r.out.find("w-old"), stalled);
  EXPECT_GT(r.out.find("w-stalled"), stalled);
  EXPECT_NE(r.out.find("fly -t ci prune-worker -w (name)"), std::string::npos);
}

TEST_F(FlyCommandsTest, WorkersDetailsAndJson) {
  save_target("ci", atc_.url(), "opaque-token");
  atc_.route("GET", "/api/v1/workers", 200, workers_json());
  atc_.route("GET", "/api/v1/info", 200, R"({"worker_version":"2.5"})");
  Result d = fly({"-t", "ci", "--print-table-headers", "workers", "-d"});
  ASSERT_EQ(d.rc, 0) << d.err;
  std::istringstream lines(d.out);
  std::string header, first;
  std::getline(lines, header);
  std::getline(lines, first);
  EXPECT_EQ(header.rfind("name       containers  platform  tags  team  state    version  age   "
                         "garden address  baggageclaim url      active tasks  resource types",
                         0),
            0u)
      << header;
  EXPECT_NE(first.find("10.0.0.2:7777   http://10.0.0.2:7788  1             git, time"),
            std::string::npos)
      << first;

  Result j = fly({"-t", "ci", "workers", "--json"});
  ASSERT_EQ(j.rc, 0) << j.err;
  auto parsed = nlohmann::json::parse(j.out);
  ASSERT_EQ(parsed.size(), 3u);
  EXPECT_EQ(parsed[0]["name"], "w-run");  // server order, not sorted
  EXPECT_EQ(j.out.rfind("[\n  {\n    \"addr\": \"10.0.0.2:7777\",", 0), 0u) << j.out;
}

TEST_F(FlyCommandsTest, UnauthorizedAndUnreachable) {
  save_target("ci", atc_.url(), "stale-token");
  Result r = fly({"-t", "ci", "workers"});
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "error: not authorized. run the following to log in again: fly -t ci login\n");

  int port;
  {
    Poco::Net::ServerSocket s(Poco::Net::SocketAddress("127.0.0.1", 0));
    port = s.address().port();
  }
  std::string dead = "http://127.0.0.1:" + std::to_string(port);
  save_target("dead", dead, "t");
  Result u = fly({"-t", "dead", "containers"});
  EXPECT_EQ(u.rc, 1);
  EXPECT_EQ(u.err.rfind("error: could not reach the Concourse server called dead at " + dead, 0),
            0u)
      << u.err;
  EXPECT_NE(u.err.find("onnection refused"), std::string::npos) << u.err;

  Result unknown = fly({"-t", "ghost", "volumes"});
  EXPECT_EQ(unknown.rc, 1);
  EXPECT_EQ(unknown.err, "error: unknown target: ghost\n");
}

TEST_F(FlyCommandsTest, LandAndPruneWorkers) {
  save_target("ci", atc_.url(), "opaque-token");
  atc_.route("PUT", "/api/v1/workers/w1/land", 200, "");
  Result land = fly({"-t", "ci", "land-worker", "-w", "w1"});
  ASSERT_EQ(land.rc, 0) << land.err;
  EXPECT_EQ(land.out, "landed 'w1'\n");

  atc_.route("PUT", "/api/v1/workers/w-stalled/prune", 200, "");
  atc_.route("PUT", "/api/v1/workers/w-run/prune", 400,
             R"({"stderr":"cannot prune running worker"})");
  atc_.route("GET", "/api/v1/workers", 200, workers_json());
  Result one = fly({"-t", "ci", "pw", "-w", "w-stalled"});
  ASSERT_EQ(one.rc, 0) << one.err;
  EXPECT_EQ(one.out, "pruned 'w-stalled'\n");

  Result running = fly({"-t", "ci", "prune-worker", "--worker=w-run"});
  EXPECT_EQ(running.rc, 1);
  EXPECT_EQ(running.err, "error: cannot prune running worker\n");

  Result all = fly({"-t", "ci", "prune-worker", "-a"});
  ASSERT_EQ(all.rc, 0) << all.err;
  EXPECT_EQ(all.out, "pruned 'w-stalled'\n");

  Result missing = fly({"-t", "ci", "land-worker", "-w", "nope"});
  EXPECT_EQ(missing.rc, 1);
  EXPECT_EQ(missing.err, "error: resource not found\n");

  int puts = 0;
  for (const auto& req : atc_.requests())
    puts += req.method == "PUT" ? 1 : 0;
  EXPECT_EQ(puts, 5);
}

TEST_F(FlyCommandsTest, Containers) {
  save_target("ci", atc_.url(), "opaque-token", "ops");
  atc_.route("GET", "/api/v1/teams/ops/containers", 200, R"([
    {"id":"h2","worker_name":"w1","type":"task","step_name":"unit","attempt":"1",
     "pipeline_name":"app","job_name":"test","build_name":"7","build_id":42},
    {"id":"h1","worker_name":"w2","type":"check","resource_name":"repo"}])");
  Result r = fly({"-t", "ci", "--print-table-headers", "containers"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out,
            "handle  worker  pipeline  job   build #  build id  type   name  attempt\n"
            "h1      w2      none      none  none     none      check  repo  n/a    \n"
            "h2      w1      app       test  7        42        task   unit  1      \n");
  Result j = fly({"-t", "ci", "cs", "--json"});
  ASSERT_EQ(j.rc, 0) << j.err;
  EXPECT_EQ(nlohmann::json::parse(j.out)[0]["id"], "h2");
}

TEST_F(FlyCommandsTest, Volumes) {
  save_target("ci", atc_.url(), "opaque-token");
  atc_.route("GET", "/api/v1/teams/main/volumes", 200, R"([
    {"id":"v3","worker_name":"w2","type":"container","container_handle":"c1","path":"/tmp/build",
     "parent_handle":"v1"},
    {"id":"v2","worker_name":"w1","type":"resource",
     "resource_type":{"base_resource_type":{"name":"git","version":"1.0"},"version":{"ref":"abc"}}},
    {"id":"v1","worker_name":"w1","type":"resource-type",
     "base_resource_type":{"name":"git","version":"1.0"}},
    {"id":"v4","worker_name":"w2","type":"task-cache","pipeline_name":"p","job_name":"j",
     "step_name":"s"}])");
  Result r = fly({"-t", "ci", "volumes"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out,
            "v1  w1  resource-type  git    \n"
            "v2  w1  resource       ref:abc\n"
            "v3  w2  container      c1     \n"
            "v4  w2  task-cache     p/j/s  \n");
  Result d = fly({"-t", "ci", "vs", "-d"});
  ASSERT_EQ(d.rc, 0) << d.err;
  EXPECT_NE(d.out.find("resource-type  name:git,version:1.0"), std::string::npos) << d.out;
  EXPECT_NE(d.out.find("container      container:c1,path:/tmp/build,parent:v1"), std::string::npos)
      << d.out;
}

TEST_F(FlyCommandsTest, Userinfo) {
  save_target("ci", atc_.url(), "opaque-token");
  atc_.route("GET", "/api/v1/user", 200,
             R"({"user_name":"admin","teams":{"main":["owner"],"ops":["viewer","member"]}})");
  Result r = fly({"-t", "ci", "userinfo", "--print-table-headers"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out,
            "username  team/role                       \n"
            "admin     main/owner,ops/member,ops/viewer\n");
}

TEST_F(FlyCommandsTest, UsageErrorsExitTwo) {
  EXPECT_EQ(fly({"-t", "ci", "workers", "--bogus"}).rc, 2);
  EXPECT_EQ(fly({"-t", "ci", "workers", "extra"}).rc, 2);
  Result unknown = fly({"frobnicate"});
  EXPECT_EQ(unknown.rc, 2);
  EXPECT_EQ(unknown.err.rfind("error: Unknown command `frobnicate'", 0), 0u);
  Result prune = fly({"-t", "ci", "prune-worker"});
  EXPECT_EQ(prune.rc, 2);
  EXPECT_EQ(prune.err, "error: Either a worker name or --all-stalled are required\n");
  EXPECT_EQ(fly({"-t", "ci", "land-worker"}).rc, 2);
  EXPECT_EQ(fly({}).rc, 2);
}

TEST_F(FlyCommandsTest, HelpAndVersion) {
  Result h = fly({"help"});
  EXPECT_EQ(h.rc, 0);
  for (const char* verb : {"login", "targets", "workers", "land-worker", "prune-worker",
                           "containers", "volumes", "userinfo"})
    EXPECT_NE(h.out.find(verb), std::string::npos) << verb;
  Result v = fly({"-v"});
  EXPECT_EQ(v.rc, 0);
  EXPECT_FALSE(v.out.empty());
  Result sub = fly({"workers", "-h"});
  EXPECT_EQ(sub.rc, 0);
  EXPECT_NE(sub.out.find("--details"), std::string::npos);
}

}  // namespace
}  // namespace concourse::fly
