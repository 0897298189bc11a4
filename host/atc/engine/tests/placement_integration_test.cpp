// Placement against a real `concourse worker` (houdini) whose Garden holds at most two
// containers: builds beyond that wait for room instead of erroring, limits configured on the
// engine hold, and a step waiting for a worker can be aborted. houdini runs these image-less
// tasks on the host; the worker needs root.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>

#include "atc/engine/container_placement.hpp"
#include "atc/engine/engine.hpp"
#include "atc/engine/garden_client.hpp"
#include "support/worker_process.hpp"

namespace concourse::atc::engine {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr int kGardenMax = 2;

class Sink : public EventSink {
 public:
  void emit(const std::string& type, const json& data) override {
    {
      std::lock_guard lock(mu_);
      events_.push_back({{"event", type}, {"data", data}});
    }
    cv_.notify_all();
  }
  bool wait_for(const std::string& type, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return count_locked(type) > 0; });
  }
  int count(const std::string& type) {
    std::lock_guard lock(mu_);
    return count_locked(type);
  }
  std::string logs() {
    std::lock_guard lock(mu_);
    std::string out;
    for (const auto& e : events_) {
      if (e["event"] == "log")
        out += e["data"]["payload"].get<std::string>();
      if (e["event"] == "error")
        out += "error: " + e["data"]["message"].get<std::string>() + "\n";
    }
    return out;
  }

 private:
  int count_locked(const std::string& type) const {
    int n = 0;
    for (const auto& e : events_)
      n += e["event"] == type ? 1 : 0;
    return n;
  }
  std::mutex mu_;
  std::condition_variable cv_;
  json events_ = json::array();
};

class OneWorker : public WorkerSource {
 public:
  std::vector<WorkerTarget> running_workers() override { return {target}; }
  WorkerTarget target;
};

size_t occurrences(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
    ++n;
  return n;
}

class PlacementIntegration : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (::geteuid() != 0)
      return;
    dir_ = new concourse::testing::TempDir();
    auto args = concourse::testing::test_worker_args(dir_->path() + "/work", CONCOURSE_PLUGIN_DIR);
    args.insert(args.end(), {"--max-containers", std::to_string(kGardenMax)});
    worker_ = new concourse::testing::WorkerProcess(CONCOURSE_BIN, args);
    worker_->start();
    source_ = new OneWorker();
    source_->target.name = "small-worker";
    source_->target.garden_addr = "127.0.0.1:" + std::to_string(worker_->endpoints().garden);
    source_->target.baggageclaim_url =
        "http://127.0.0.1:" + std::to_string(worker_->endpoints().baggageclaim);
  }
  static void TearDownTestSuite() {
    delete source_;
    if (worker_ != nullptr)
      worker_->stop();
    delete worker_;
    delete dir_;
  }
  void SetUp() override {
    if (::geteuid() != 0)
      GTEST_SKIP() << "the houdini worker runs as root";
  }

  static json task(const std::string& script) {
    return {{"id", "t"},
            {"task",
             {{"name", "t"},
              {"config",
               {{"platform", "linux"}, {"run", {{"path", "sh"}, {"args", {"-c", script}}}}}}}}};
  }

  struct Build {
    std::shared_ptr<Sink> sink = std::make_shared<Sink>();
    std::shared_ptr<std::atomic<bool>> aborted = std::make_shared<std::atomic<bool>>(false);
    std::future<std::string> status;
  };

  static Build start(Engine& engine, json plan, int64_t id) {
    Build b;
    b.status =
        std::async(std::launch::async, [&engine, plan, id, sink = b.sink, aborted = b.aborted] {
          BuildRequest req;
          req.build_id = id;
          req.build_name = std::to_string(id);
          req.team = "main";
          req.plan = plan;
          return engine.run(req, *sink, *aborted);
        });
    return b;
  }

  static std::vector<std::string> garden_containers() {
    return GardenClient(source_->target.garden_addr).list();
  }

  static concourse::testing::TempDir* dir_;
  static concourse::testing::WorkerProcess* worker_;
  static OneWorker* source_;
};

concourse::testing::TempDir* PlacementIntegration::dir_ = nullptr;
concourse::testing::WorkerProcess* PlacementIntegration::worker_ = nullptr;
OneWorker* PlacementIntegration::source_ = nullptr;

// Without placement that counts and waits, four of these six would error with the Garden's
// "max containers reached".
TEST_F(PlacementIntegration, BuildsBeyondTheGardensCapacityWaitAndAllSucceed) {
  Engine engine(*source_, log::Logger("engine"));
  std::vector<Build> builds;
  for (int i = 0; i < 6; ++i)
    builds.push_back(start(engine, task("sleep 0.3"), 100 + i));
  int waited = 0;
  for (auto& b : builds) {
    std::string status = b.status.get();
    std::string logs = b.sink->logs();
    EXPECT_EQ(status, "succeeded") << logs;
    size_t busy = occurrences(logs, kAllWorkersBusy);
    EXPECT_LE(busy, 1u) << logs;  // said once per step, however long it waits
    if (busy == 1) {
      ++waited;
      EXPECT_NE(logs.find("Found a free worker after waiting "), std::string::npos) << logs;
      EXPECT_EQ(b.sink->count("waiting-for-worker"), 1);
    }
  }
  EXPECT_GE(waited, 1);
  EXPECT_TRUE(garden_containers().empty());  // every build released its container
}

// With limit-active-containers at 1 the tasks never overlap, although the Garden would take two.
TEST_F(PlacementIntegration, LimitActiveContainersHolds) {
  PlacementOptions o;
  o.strategies = {"limit-active-containers"};
  o.max_active_containers_per_worker = 1;
  Engine engine(*source_, log::Logger("engine"), nullptr, o);
  std::string lock = dir_->path() + "/one-at-a-time";
  std::string script = "mkdir " + lock + " || { echo overlap; exit 1; }; sleep 0.2; rmdir " + lock;
  std::vector<Build> builds;
  for (int i = 0; i < 4; ++i)
    builds.push_back(start(engine, task(script), 200 + i));
  for (auto& b : builds)
    EXPECT_EQ(b.status.get(), "succeeded") << b.sink->logs();
}

TEST_F(PlacementIntegration, AStepWaitingForAWorkerCanBeAborted) {
  PlacementOptions o;
  o.strategies = {"limit-active-tasks"};
  o.max_active_tasks_per_worker = 1;
  Engine engine(*source_, log::Logger("engine"), nullptr, o);
  Build running = start(engine, task("sleep 30"), 300);
  ASSERT_TRUE(running.sink->wait_for("start-task", 20s)) << running.sink->logs();
  Build waiting = start(engine, task("true"), 301);
  ASSERT_TRUE(waiting.sink->wait_for("waiting-for-worker", 20s)) << waiting.sink->logs();
  EXPECT_EQ(waiting.sink->count("selected-worker"), 0);
  auto t0 = std::chrono::steady_clock::now();
  *waiting.aborted = true;
  EXPECT_EQ(waiting.status.get(), "aborted");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  EXPECT_EQ(occurrences(waiting.sink->logs(), kAllWorkersBusy), 1u);
  *running.aborted = true;
  EXPECT_EQ(running.status.get(), "aborted");
}

}  // namespace
}  // namespace concourse::atc::engine
