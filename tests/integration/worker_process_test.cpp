// Processes through the real worker: Garden's run/attach protocol against houdini, and the
// third-party example plugin (built against the installed SDK) serving the same API.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "support/http.hpp"
#include "support/worker_process.hpp"
#include "worker/garden/tests/garden_client.hpp"

namespace gt = concourse::worker::garden::testing;
using concourse::testing::http;
using concourse::testing::TempDir;
using concourse::testing::test_worker_args;
using concourse::testing::WorkerProcess;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

class WorkerProcesses : public ::testing::Test {
 protected:
  void SetUp() override {
    worker_ = std::make_unique<WorkerProcess>(CONCOURSE_BIN,
                                              test_worker_args(work_.path(), CONCOURSE_PLUGIN_DIR));
    worker_->start();
    auto r = http("POST", port(), "/containers", R"({"handle":"c","env":["GREETING=hello"]})");
    ASSERT_EQ(r.status, 200) << r.body;
  }
  void TearDown() override {
    if (worker_) {
      EXPECT_EQ(worker_->stop(SIGTERM), 0) << worker_->log();
    }
  }
  uint16_t port() const { return worker_->endpoints().garden; }

  TempDir work_;
  std::unique_ptr<WorkerProcess> worker_;
};

}  // namespace

TEST_F(WorkerProcesses, RunReportsOutputAndExitStatus) {
  auto r = gt::run_process(port(), "c",
                           {{"path", "sh"},
                            {"args", {"-c", "echo $GREETING $EXTRA; echo oops >&2; exit 3"}},
                            {"env", {"EXTRA=world"}}});
  EXPECT_EQ(r.stdout_data, "hello world\n");
  EXPECT_EQ(r.stderr_data, "oops\n");
  ASSERT_TRUE(r.exit_status) << r.error;
  EXPECT_EQ(*r.exit_status, 3);
}

TEST_F(WorkerProcesses, StdinTerminalAndMissingExecutables) {
  auto cat = gt::run_process(port(), "c", {{"path", "cat"}}, "piped through\n");
  EXPECT_EQ(cat.stdout_data, "piped through\n");
  EXPECT_EQ(cat.exit_status.value_or(-1), 0);
  auto tty = gt::run_process(port(), "c",
                             {{"path", "sh"},
                              {"args", {"-c", "stty size"}},
                              {"tty", {{"window_size", {{"columns", 100}, {"rows", 30}}}}}});
  EXPECT_NE(tty.stdout_data.find("30 100"), std::string::npos) << tty.stdout_data;
  EXPECT_EQ(tty.exit_status.value_or(-1), 0);
  auto missing =
      http("POST", port(), "/containers/c/processes", R"({"path":"definitely-not-a-binary"})");
  EXPECT_EQ(missing.status, 500);
  EXPECT_EQ(json::parse(missing.body)["Type"], "ExecutableNotFoundError") << missing.body;
}

TEST_F(WorkerProcesses, ReattachAfterTheClientWentAway) {
  {
    auto s = gt::ProcessSession::run(
        port(), "c",
        {{"id", "task"}, {"path", "sh"}, {"args", {"-c", "read line; echo got $line; exit 4"}}});
    // The client disappears without waiting (an ATC restart, say).
  }
  auto s = gt::ProcessSession::attach(port(), "c", "task");
  s.send_stdin("ping\n");
  auto r = s.wait();
  EXPECT_EQ(r.stdout_data, "got ping\n");
  ASSERT_TRUE(r.exit_status) << r.error;
  EXPECT_EQ(*r.exit_status, 4);
  // A finished process can still be attached to for its exit status.
  auto again = gt::attach_process(port(), "c", "task");
  EXPECT_EQ(again.exit_status.value_or(-1), 4);
  EXPECT_EQ(http("GET", port(), "/containers/c/processes/nope").status, 404);
}

TEST(ThirdPartyPlugin, TheSdkExampleServesGarden) {
  TempDir work, plugins;
  fs::copy_file(std::string(SDK_EXAMPLE_PLUGIN_DIR) + "/hello-runtime.so",
                plugins.path() + "/hello-runtime.so");
  fs::copy_file(std::string(CONCOURSE_PLUGIN_DIR) + "/probe-basic.so",
                plugins.path() + "/probe-basic.so");
  WorkerProcess w(CONCOURSE_BIN, test_worker_args(work.path(), plugins.path(), "hello"));
  w.start();
  EXPECT_NE(w.log().find("hello@0.1.0"), std::string::npos);
  uint16_t port = w.endpoints().garden;
  ASSERT_EQ(http("POST", port, "/containers", R"({"handle":"x","properties":{"p":"1"}})").status,
            200);
  auto r = gt::run_process(port, "x", {{"path", "echo"}, {"args", {"from", "a", "plugin"}}});
  EXPECT_EQ(r.stdout_data, "from a plugin\n");
  EXPECT_EQ(r.exit_status.value_or(-1), 0);
  EXPECT_EQ(http("GET", w.endpoints().health, "/").status, 200);
  // What the example does not implement is reported, not faked.
  auto unsupported = http("GET", port, "/containers/x/files?source=/");
  EXPECT_EQ(unsupported.status, 500);  // Garden reports every failure but "not found" as a 500
  EXPECT_NE(unsupported.body.find("not supported"), std::string::npos) << unsupported.body;
  EXPECT_EQ(w.stop(), 0);
}
