// Runs builds for the API: each build's plan goes to the engine's BuildRunner on a thread of its
// own, every event it emits is stored in build_events and announced to event-stream readers, and
// the final status is recorded. Readers on this node wake on the announcement; readers whose
// build runs on another web node fall back to re-reading at a slow interval (see kCrossNodeWait).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "atc/config/config.hpp"
#include "atc/db/builds.hpp"
#include "atc/db/database.hpp"
#include "atc/engine/build_runner.hpp"
#include "core/log.hpp"

namespace concourse::atc::api {

using Planner = std::function<nlohmann::json(const config::Pipeline&, const config::Job&,
                                             const std::map<std::string, nlohmann::json>&)>;

// What the web node gives the API to run builds; an absent runner or planner makes triggers
// answer 503 instead of creating builds nobody will run.
struct BuildEngine {
  engine::BuildRunner* runner = nullptr;
  Planner planner;
};

// Wakes event-stream readers when any build's events change.
class EventHub {
 public:
  uint64_t generation();
  void notify();
  // Returns when the generation moved past `seen`, the timeout passed, or close() was called
  // (then false).
  bool wait(uint64_t seen, std::chrono::milliseconds timeout);
  void close();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t generation_ = 0;
  bool closed_ = false;
};

class BuildService {
 public:
  BuildService(db::Database& db, BuildEngine engine, std::string node_name,
               std::string external_url, concourse::log::Logger log);
  ~BuildService();
  BuildService(const BuildService&) = delete;
  BuildService& operator=(const BuildService&) = delete;

  // Builds this node left unfinished in an earlier life end as errored, with an error event.
  void recover_lost_builds();
  // The name builds record as their web node; set before the first build runs.
  const std::string& node_name() const { return node_name_; }
  void set_node_name(std::string name) { node_name_ = std::move(name); }
  bool can_plan() const { return static_cast<bool>(engine_.planner); }
  bool can_run() const { return engine_.runner != nullptr; }
  nlohmann::json plan(const config::Pipeline& pipeline, const config::Job& job,
                      const std::map<std::string, nlohmann::json>& versions) const;

  // Starts a pending build; keep_logs > 0 deletes older builds' events of its job afterwards.
  void run(const db::BuildRow& build, int keep_logs);
  // Flags a build running on this node; the runner stops it.
  void abort(int64_t build_id);
  // Aborts every running build, records them as errored and waits for their threads.
  void shutdown();
  EventHub& hub() { return hub_; }

 private:
  struct Running {
    std::atomic<bool> aborted{false};
    std::atomic<bool> shutting_down{false};
  };
  void execute(db::BuildRow build, std::shared_ptr<Running> state, int keep_logs);

  db::Database& db_;
  BuildEngine engine_;
  std::string node_name_;
  std::string external_url_;
  concourse::log::Logger log_;
  EventHub hub_;
  std::mutex mu_;
  std::condition_variable done_cv_;
  std::map<int64_t, std::shared_ptr<Running>> running_;
  bool stopped_ = false;
};

// The Concourse SSE framing of one stored event.
std::string sse_event(const db::BuildEvent& event);

}  // namespace concourse::atc::api
