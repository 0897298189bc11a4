// The engine against a real `concourse worker` (houdini runtime, real Garden and Baggageclaim)
// and the bundled resource types built in this tree. Resource containers chroot into their
// rootfs, which houdini only does as root, so these tests skip otherwise.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>
#include <thread>

#include "atc/engine/engine.hpp"
#include "support/worker_process.hpp"
#include "worker/resource_types.hpp"

namespace concourse::atc::engine {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

class RecordingSink : public EventSink {
 public:
  void emit(const std::string& type, const json& data) override {
    std::lock_guard lock(mu_);
    events_.push_back({{"event", type}, {"data", data}});
  }
  json events() {
    std::lock_guard lock(mu_);
    return events_;
  }
  std::vector<std::string> types() {
    std::vector<std::string> out;
    for (const auto& e : events())
      out.push_back(e["event"]);
    return out;
  }
  std::string logs() {
    std::string out;
    for (const auto& e : events())
      if (e["event"] == "log")
        out += e["data"]["payload"].get<std::string>();
    return out;
  }
  std::string errors() {
    std::string out;
    for (const auto& e : events())
      if (e["event"] == "error")
        out += e["data"]["message"].get<std::string>() + "\n";
    return out;
  }

 private:
  std::mutex mu_;
  json events_ = json::array();
};

class FixedSource : public WorkerSource {
 public:
  std::vector<WorkerTarget> running_workers() override { return workers; }
  std::vector<WorkerTarget> workers;
};

class EngineIntegration : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (::geteuid() != 0)
      return;
    dir_ = new concourse::testing::TempDir();
    worker_ = new concourse::testing::WorkerProcess(
        CONCOURSE_BIN,
        concourse::testing::test_worker_args(dir_->path() + "/work", CONCOURSE_PLUGIN_DIR));
    worker_->start();
    WorkerTarget w;
    w.name = "engine-test-worker";
    w.garden_addr = "127.0.0.1:" + std::to_string(worker_->endpoints().garden);
    w.baggageclaim_url = "http://127.0.0.1:" + std::to_string(worker_->endpoints().baggageclaim);
    w.resource_types = worker::scan_resource_types(RESOURCE_TYPES_DIR, log::Logger("test"));
    source_ = new FixedSource();
    source_->workers.push_back(w);
    engine_ = new Engine(*source_, log::Logger("engine"));
  }
  static void TearDownTestSuite() {
    delete engine_;
    delete source_;
    if (worker_ != nullptr)
      worker_->stop();
    delete worker_;
    delete dir_;
  }
  void SetUp() override {
    if (::geteuid() != 0)
      GTEST_SKIP() << "houdini chroots into resource rootfs only as root";
  }

  std::string run(const json& plan, std::atomic<bool>* aborted = nullptr) {
    BuildRequest req;
    req.build_id = 42;
    req.build_name = "1";
    req.team = "main";
    req.pipeline = "p";
    req.job = "j";
    req.plan = plan;
    std::atomic<bool> never{false};
    return engine_->run(req, sink_, aborted != nullptr ? *aborted : never);
  }

  static json task(const std::string& id, const std::string& name, const std::string& script,
                   json inputs = json::array(), json outputs = json::array()) {
    return {{"id", id},
            {"task",
             {{"name", name},
              {"privileged", false},
              {"config",
               {{"platform", "linux"},
                {"inputs", inputs},
                {"outputs", outputs},
                {"run", {{"path", "sh"}, {"args", {"-c", script}}}}}}}}};
  }

  json of_type(const std::string& type) {
    json out = json::array();
    for (const auto& e : sink_.events())
      if (e["event"] == type)
        out.push_back(e["data"]);
    return out;
  }

  RecordingSink sink_;
  static concourse::testing::TempDir* dir_;
  static concourse::testing::WorkerProcess* worker_;
  static FixedSource* source_;
  static Engine* engine_;
};

concourse::testing::TempDir* EngineIntegration::dir_ = nullptr;
concourse::testing::WorkerProcess* EngineIntegration::worker_ = nullptr;
FixedSource* EngineIntegration::source_ = nullptr;
Engine* EngineIntegration::engine_ = nullptr;

TEST_F(EngineIntegration, GetTaskPutSucceeds) {
  json get{{"id", "g"},
           {"get",
            {{"name", "src"},
             {"type", "mock"},
             {"resource", "src"},
             {"source", {{"create_files", {{"hello.txt", "hi from mock"}}}}},
             {"version", {{"version", "v1"}}}}}};
  json t = task("t", "build", "cat src/hello.txt; echo; echo built > out/result.txt; echo done >&2",
                json::array({{{"name", "src"}}}), json::array({{{"name", "out"}}}));
  json put{{"id", "os"},
           {"on_success",
            {{"step",
              {{"id", "p"},
               {"put",
                {{"name", "dst"},
                 {"type", "mock"},
                 {"resource", "dst"},
                 {"source", json::object()},
                 {"params", {{"file", "out/result.txt"}}}}}}},
             {"on_success",
              {{"id", "pg"},
               {"get",
                {{"name", "dst"},
                 {"type", "mock"},
                 {"resource", "dst"},
                 {"source", json::object()},
                 {"version_from", "p"}}}}}}}};
  json plan{{"id", "root"}, {"do", {get, t, put}}};
  ASSERT_EQ(run(plan), "succeeded") << sink_.events().dump(1);

  auto types = sink_.types();
  // The log line between selected-worker and start-task says the task runs without a rootfs.
  std::vector<std::string> want = {"status",     "initialize-get",  "selected-worker", "start-get",
                                   "finish-get", "initialize-task", "selected-worker", "log",
                                   "start-task"};
  ASSERT_GE(types.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_EQ(types[i], want[i]) << i;
  EXPECT_EQ(types.back(), "status");
  EXPECT_EQ(of_type("status").back()["status"], "succeeded");
  auto gets = of_type("finish-get");
  ASSERT_EQ(gets.size(), 2u);
  EXPECT_EQ(gets[0]["version"]["version"], "v1");
  EXPECT_EQ(gets[0]["origin"]["id"], "g");
  EXPECT_EQ(gets[1]["version"]["version"], "built");
  EXPECT_EQ(of_type("finish-put")[0]["version"]["version"], "built");
  EXPECT_EQ(of_type("finish-task")[0]["exit_status"], 0);
  EXPECT_NE(sink_.logs().find("hi from mock"), std::string::npos) << sink_.logs();
  bool task_stdout = false;
  for (const auto& l : of_type("log"))
    task_stdout |= l["origin"]["id"] == "t" && l["origin"]["source"] == "stdout" &&
                   l["payload"].get<std::string>().find("hi from mock") != std::string::npos;
  EXPECT_TRUE(task_stdout);
}

TEST_F(EngineIntegration, FailingTaskFails) {
  EXPECT_EQ(run(task("t", "fail", "echo nope; exit 3")), "failed");
  EXPECT_EQ(of_type("finish-task")[0]["exit_status"], 3);
}

TEST_F(EngineIntegration, UnknownResourceTypeErrors) {
  json get{
      {"id", "g"},
      {"get",
       {{"name", "x"}, {"type", "no-such-type"}, {"resource", "x"}, {"source", json::object()}}}};
  EXPECT_EQ(run(get), "errored");
  EXPECT_NE(sink_.errors().find("unknown resource type 'no-such-type'"), std::string::npos)
      << sink_.errors();
}

TEST_F(EngineIntegration, AbortStopsARunningTask) {
  std::atomic<bool> aborted{false};
  Clock::time_point abort_at;
  std::thread aborter([&] {
    while (of_type("start-task").empty())
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    abort_at = Clock::now();
    aborted = true;
  });
  std::string status = run(task("t", "sleepy", "sleep 30"), &aborted);
  auto took = Clock::now() - abort_at;
  aborter.join();
  EXPECT_EQ(status, "aborted");
  EXPECT_LT(took, std::chrono::milliseconds(2500));
  EXPECT_EQ(of_type("status").back()["status"], "aborted");
}

TEST_F(EngineIntegration, TimeoutFailsTheStep) {
  json plan{{"id", "to"},
            {"timeout", {{"duration", "1s"}, {"step", task("t", "slow", "sleep 30")}}}};
  auto start = Clock::now();
  EXPECT_EQ(run(plan), "failed");
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(6));
  EXPECT_NE(sink_.errors().find("timeout exceeded"), std::string::npos) << sink_.errors();
}

TEST_F(EngineIntegration, InParallelFailFastStopsSiblings) {
  json plan{{"id", "par"},
            {"in_parallel",
             {{"steps", {task("a", "fails", "sleep 0.5; exit 1"), task("b", "slow", "sleep 30")}},
              {"fail_fast", true}}}};
  auto start = Clock::now();
  EXPECT_EQ(run(plan), "failed");
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(8));
}

TEST_F(EngineIntegration, HooksAndTry) {
  json plan{{"id", "e"},
            {"ensure",
             {{"step", {{"id", "tr"}, {"try", {{"step", task("f", "fails", "exit 1")}}}}},
              {"ensure", task("h", "hook", "echo ensured")}}}};
  EXPECT_EQ(run(plan), "succeeded");
  EXPECT_NE(sink_.logs().find("ensured"), std::string::npos);
}

uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

bool can_connect(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

// The resource container is chrooted into the git type's rootfs, where a host path (file://)
// does not exist, so the local repository is served over git:// from loopback instead.
TEST_F(EngineIntegration, GitGetFromALocalRepository) {
  concourse::testing::TempDir repos;
  std::string repo = repos.path() + "/repo.git";
  std::string cmd = "set -e; git init -q -b main " + repo + "; cd " + repo +
                    "; echo from-git > README; git add README; git -c user.name=t "
                    "-c user.email=t@t commit -q -m init";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::string sha;
  {
    FILE* p = ::popen(("git -C " + repo + " rev-parse HEAD").c_str(), "r");
    char buf[64] = {};
    ASSERT_NE(std::fgets(buf, sizeof buf, p), nullptr);
    ::pclose(p);
    sha = std::string(buf).substr(0, 40);
  }
  uint16_t port = free_port();
  std::string base = "--base-path=" + repos.path(), listen = "--listen=127.0.0.1",
              port_arg = "--port=" + std::to_string(port);
  std::vector<char*> argv = {const_cast<char*>("git"),
                             const_cast<char*>("daemon"),
                             const_cast<char*>("--export-all"),
                             base.data(),
                             listen.data(),
                             port_arg.data(),
                             const_cast<char*>("--reuseaddr"),
                             nullptr};
  pid_t daemon = 0;
  ASSERT_EQ(::posix_spawnp(&daemon, "git", nullptr, nullptr, argv.data(), environ), 0);
  for (int i = 0; i < 100 && !can_connect(port); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  json get{
      {"id", "g"},
      {"get",
       {{"name", "repo"},
        {"type", "git"},
        {"resource", "repo"},
        {"source",
         {{"uri", "git://127.0.0.1:" + std::to_string(port) + "/repo.git"}, {"branch", "main"}}},
        {"version", {{"ref", sha}}}}}};
  json plan{{"id", "root"},
            {"do", {get, task("t", "show", "cat repo/README", json::array({{{"name", "repo"}}}))}}};
  std::string status = run(plan);
  ::kill(daemon, SIGTERM);
  ::waitpid(daemon, nullptr, 0);
  ASSERT_EQ(status, "succeeded") << sink_.events().dump(1);
  EXPECT_EQ(of_type("finish-get")[0]["version"]["ref"], sha);
  EXPECT_NE(sink_.logs().find("from-git"), std::string::npos) << sink_.logs();
}

}  // namespace
}  // namespace concourse::atc::engine
