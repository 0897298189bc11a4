// A web node with a test BuildRunner and planner, for the CI API and fly tests: the runner
// emits log lines and can hold a build open until the test releases it, so a test can prove the
// event stream delivers lines while the build is still running.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "atc/engine/build_runner.hpp"
#include "atc/web_node.hpp"

namespace concourse::atc::testing {

class GatedRunner final : public engine::BuildRunner {
 public:
  std::vector<std::string> lines = {"hello from the build\n", "second line\n"};
  std::string result = "succeeded";
  bool hold = false;  // wait for release() after the first line

  void release() {
    {
      std::lock_guard lock(mu_);
      released_ = true;
    }
    cv_.notify_all();
  }

  std::string run(const engine::BuildRequest& req, engine::EventSink& events,
                  const std::atomic<bool>& aborted) override {
    last_plan = req.plan;
    events.emit("initialize-task", {{"origin", {{"id", "task"}}}, {"time", 1}});
    events.emit("start-task", {{"origin", {{"id", "task"}}},
                               {"time", 1},
                               {"config", {{"run", {{"path", "echo"}, {"args", {"hi"}}}}}}});
    for (size_t i = 0; i < lines.size(); ++i) {
      events.emit(
          "log",
          {{"time", 1}, {"origin", {{"id", "task"}, {"source", "stdout"}}}, {"payload", lines[i]}});
      if (i == 0 && hold && !wait_release(aborted))
        return "aborted";
    }
    events.emit("finish-task", {{"origin", {{"id", "task"}}}, {"exit_status", 0}, {"time", 2}});
    return result;
  }

  nlohmann::json last_plan;

 private:
  bool wait_release(const std::atomic<bool>& aborted) {
    std::unique_lock lock(mu_);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!released_ && !aborted && std::chrono::steady_clock::now() < deadline)
      cv_.wait_for(lock, std::chrono::milliseconds(20));
    return !aborted;
  }

  std::mutex mu_;
  std::condition_variable cv_;
  bool released_ = false;
};

// A plan naming the job and the versions it was given, enough to check what the API passed.
inline nlohmann::json test_plan(const config::Pipeline&, const config::Job& job,
                                const std::map<std::string, nlohmann::json>& versions) {
  nlohmann::json v = nlohmann::json::object();
  for (const auto& [k, ver] : versions)
    v[k] = ver;
  return {{"id", "plan"}, {"do", nlohmann::json::array()}, {"job", job.name}, {"versions", v}};
}

inline constexpr const char* kPipelineYaml = R"(
resources:
- name: repo
  type: git
  source: {uri: "https://example.com/repo.git"}
jobs:
- name: unit
  plan:
  - get: repo
    trigger: true
  - task: test
    config:
      platform: linux
      image_resource: {type: registry-image, source: {repository: busybox}}
      run: {path: echo, args: [hi]}
- name: manual-off
  disable_manual_trigger: true
  plan:
  - get: repo
)";

}  // namespace concourse::atc::testing
