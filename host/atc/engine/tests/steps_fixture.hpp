// Shared by the load_var / across / set_pipeline tests: a real `concourse worker` (houdini, real
// Garden and Baggageclaim) with the bundled resource types, and plan builders. houdini chroots
// resource containers into their rootfs only as root, so the tests skip otherwise.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "atc/engine/build_runner.hpp"
#include "support/worker_process.hpp"
#include "worker/resource_types.hpp"

namespace concourse::atc::engine::testing {

using nlohmann::json;

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
  std::string text_of(const char* type, const char* field) {
    std::string out;
    for (const auto& e : events())
      if (e["event"] == type)
        out += e["data"][field].get<std::string>() + (type[0] == 'e' ? "\n" : "");
    return out;
  }
  std::string logs() { return text_of("log", "payload"); }
  std::string errors() { return text_of("error", "message"); }

 private:
  std::mutex mu_;
  json events_ = json::array();
};

// One worker for the whole test program, started on first use.
inline concourse::testing::WorkerProcess& shared_worker() {
  static concourse::testing::TempDir dir;
  // Destroyed (stopped) at exit, before dir goes.
  static std::unique_ptr<concourse::testing::WorkerProcess> worker = [] {
    auto w = std::make_unique<concourse::testing::WorkerProcess>(
        CONCOURSE_BIN,
        concourse::testing::test_worker_args(dir.path() + "/work", CONCOURSE_PLUGIN_DIR));
    w->start();
    return w;
  }();
  return *worker;
}

inline WorkerTarget worker_target() {
  auto& w = shared_worker();
  WorkerTarget t;
  t.name = "steps-test-worker";
  t.garden_addr = "127.0.0.1:" + std::to_string(w.endpoints().garden);
  t.baggageclaim_url = "http://127.0.0.1:" + std::to_string(w.endpoints().baggageclaim);
  t.resource_types = worker::scan_resource_types(RESOURCE_TYPES_DIR, log::Logger("test"));
  return t;
}

inline bool can_run_workers() {
  return ::geteuid() == 0;
}

// A get of the mock type whose artifact holds `files` (name -> content).
inline json mock_get(const std::string& id, const std::string& name, const json& files) {
  return {{"id", id},
          {"get",
           {{"name", name},
            {"type", "mock"},
            {"resource", name},
            {"source", {{"create_files", files}}},
            {"version", {{"version", "v1"}}}}}};
}

// A task without an image: it runs on the worker's host, so absolute paths are host paths.
inline json sh_task(const std::string& id, const std::string& name, const std::string& script,
                    json params = json::object()) {
  json body{{"name", name},
            {"privileged", false},
            {"config",
             {{"platform", "linux"},
              {"inputs", json::array()},
              {"run", {{"path", "sh"}, {"args", {"-c", script}}}}}}};
  if (!params.empty())
    body["params"] = params;
  return {{"id", id}, {"task", body}};
}

}  // namespace concourse::atc::engine::testing
