#include "atc/api/build_service.hpp"

#include <concourse/status.h>

#include <thread>

#include "atc/api/worker_artifacts.hpp"
#include "atc/db/artifacts.hpp"
#include "atc/db/sql.hpp"
#include "atc/scheduler/wakeup.hpp"
#include "core/error.hpp"

namespace concourse::atc::api {
namespace {

using nlohmann::json;

int64_t now() {
  return db::sql::unix_now();
}

// Stores events in order. The runner's own "status" events are not stored: the service records
// the build's status (started, then the runner's result) so there is exactly one of each.
class DbEventSink final : public engine::EventSink {
 public:
  DbEventSink(db::Database& db, EventHub& hub, int64_t build_id, std::string team,
              concourse::log::Logger& log)
      : db_(db), builds_(db), hub_(hub), build_id_(build_id), team_(std::move(team)), log_(log) {}

  void emit(const std::string& type, const json& data) override {
    if (type == "status")
      return;
    // Not an event for readers: fly execute's output, kept for download.
    if (type == "worker-artifact") {
      record_output_artifact(db_, build_id_, team_, data);
      return;
    }
    store(type, data);
  }

  void store(const std::string& type, const json& data) {
    std::lock_guard lock(mu_);
    try {
      builds_.append_event(build_id_, type, data);
    } catch (const std::exception& e) {
      // The runner has no way to act on a storage failure; the build carries on and the gap
      // is logged where an operator will look.
      log_.error("build-event-lost",
                 {{"build", std::to_string(build_id_)}, {"type", type}, {"error", e.what()}});
    }
    hub_.notify();
  }

 private:
  std::mutex mu_;
  db::Database& db_;
  db::Builds builds_;
  EventHub& hub_;
  int64_t build_id_;
  std::string team_;
  concourse::log::Logger& log_;
};

// The job's earlier builds kept their containers for intercept until this one started.
void release_previous(db::Database& db, int64_t job_id, concourse::log::Logger& log) {
  try {
    size_t n = db::Artifacts(db, db::ArtifactKind::Container).release_uninterceptible(job_id) +
               db::Artifacts(db, db::ArtifactKind::Volume).release_uninterceptible(job_id);
    if (n > 0)
      log.debug("released-previous-builds",
                {{"job_id", std::to_string(job_id)}, {"handles", std::to_string(n)}});
  } catch (const std::exception& e) {
    // The collector catches up on its next pass; the build must not fail for it.
    log.warn("release-previous-builds-failed", {{"error", e.what()}});
  }
}

}  // namespace

uint64_t EventHub::generation() {
  std::lock_guard lock(mu_);
  return generation_;
}

void EventHub::notify() {
  {
    std::lock_guard lock(mu_);
    ++generation_;
  }
  cv_.notify_all();
}

bool EventHub::wait(uint64_t seen, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return closed_ || generation_ != seen; });
  return !closed_;
}

void EventHub::close() {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

BuildService::BuildService(db::Database& db, BuildEngine engine, std::string node_name,
                           std::string external_url, concourse::log::Logger log)
    : db_(db),
      engine_(std::move(engine)),
      node_name_(std::move(node_name)),
      external_url_(std::move(external_url)),
      log_(std::move(log)) {}

BuildService::~BuildService() {
  shutdown();
}

void BuildService::recover_lost_builds() {
  auto lost = db::Builds(db_).error_lost_builds(node_name_, "build lost: the web node restarted");
  for (auto id : lost)
    log_.error("build-lost", {{"build", std::to_string(id)}, {"web_node", node_name_}});
}

json BuildService::plan(const config::Pipeline& pipeline, const config::Job& job,
                        const std::map<std::string, json>& versions) const {
  if (!engine_.planner)
    throw core::Error(CC_E_UNAVAILABLE, "this web node has no build planner");
  return engine_.planner(pipeline, job, versions);
}

void BuildService::run(const db::BuildRow& build, int keep_logs) {
  if (!engine_.runner)
    throw core::Error(CC_E_UNAVAILABLE, "this web node has no build runner");
  auto state = std::make_shared<Running>();
  {
    std::lock_guard lock(mu_);
    if (stopped_)
      throw core::Error(CC_E_UNAVAILABLE, "the web node is shutting down");
    running_[build.id] = state;
  }
  // Detached: shutdown() waits for running_ to drain, so `this` outlives every thread.
  std::thread([this, build, state, keep_logs] { execute(build, state, keep_logs); }).detach();
}

void BuildService::execute(db::BuildRow build, std::shared_ptr<Running> state, int keep_logs) {
  db::Builds builds(db_);
  DbEventSink sink(db_, hub_, build.id, build.team, log_);
  std::string status = "errored";
  try {
    builds.start(build.id, node_name_);
    if (build.job_id)
      release_previous(db_, *build.job_id, log_);
    sink.store("status", json{{"status", "started"}, {"time", now()}});
    engine::BuildRequest req{build.id,  build.name,    build.team, build.pipeline,
                             build.job, external_url_, build.plan};
    status = engine_.runner->run(req, sink, state->aborted);
    if (state->shutting_down) {
      sink.store("error",
                 json{{"message", "build interrupted: the web node stopped"}, {"time", now()}});
      status = "errored";
    }
  } catch (const std::exception& e) {
    sink.store("error",
               json{{"message", std::string("build failed to run: ") + e.what()}, {"time", now()}});
    status = "errored";
  }
  try {
    sink.store("status", json{{"status", status}, {"time", now()}});
    builds.finish(build.id, status);
    if (keep_logs > 0 && build.job_id)
      builds.retain_logs(*build.job_id, keep_logs);
  } catch (const std::exception& e) {
    log_.error("build-finish-failed", {{"build", std::to_string(build.id)}, {"error", e.what()}});
  }
  hub_.notify();
  // A finished build may free a serial slot or satisfy a downstream job's `passed`.
  scheduler::schedule_signal().notify();
  {
    std::lock_guard lock(mu_);
    running_.erase(build.id);
  }
  done_cv_.notify_all();
}

void BuildService::abort(int64_t build_id) {
  std::lock_guard lock(mu_);
  auto it = running_.find(build_id);
  if (it != running_.end())
    it->second->aborted = true;
}

void BuildService::shutdown() {
  std::unique_lock lock(mu_);
  stopped_ = true;
  for (auto& [id, state] : running_) {
    state->shutting_down = true;
    state->aborted = true;
  }
  done_cv_.wait(lock, [this] { return running_.empty(); });
  lock.unlock();
  hub_.close();
}

std::string sse_event(const db::BuildEvent& event) {
  json data = {{"event", event.type}, {"version", "1.0"}, {"data", event.payload}};
  return "id: " + std::to_string(event.event_id) + "\nevent: event\ndata: " + data.dump() + "\n\n";
}

}  // namespace concourse::atc::api
