// The scheduler: for every unpaused job of every unpaused pipeline, creates a build when a
// `trigger: true` input has a version the job never used, settles the inputs of builds
// triggered by hand while their inputs had no version yet, and starts pending builds in order
// as `serial`, `serial_groups` and `max_in_flight` allow. One web node at a time runs a pass
// (advisory lock); passes run when woken (new version, finished build, trigger) and every
// safety_interval.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "atc/db/builds.hpp"
#include "atc/db/database.hpp"
#include "atc/db/pipelines.hpp"
#include "core/log.hpp"

namespace concourse::atc::scheduler {

constexpr int64_t kLockScheduler = 0x6363'0101;

// How the scheduler turns a job into a plan and hands a claimed build to the engine.
struct BuildHooks {
  std::function<nlohmann::json(const db::PipelineRow&, const db::JobRow&,
                               const std::map<std::string, nlohmann::json>&)>
      plan;
  std::function<void(const db::BuildRow&, int keep_logs)> run;
};

// Claims a pending build whose inputs are settled for node; false when another took it.
bool claim_build(db::Database& db, int64_t build_id, const std::string& node);
// Pending build of a job waiting for its inputs to be chosen (a manual trigger).
db::BuildRow create_undetermined_build(db::Database& db, int64_t job_id, const std::string& why);
// Whether the job may start one more build now (serial, serial_groups, max_in_flight).
bool job_has_room(db::Database& db, const db::JobRow& job);
// The build_logs_to_retain / build_log_retention setting of a job config.
int log_retention(const nlohmann::json& job_config);
// Records what a finished build's puts produced (and its dependent gets fetched) as its
// outputs, so downstream `passed` constraints see them.
void record_outputs(db::Database& db, int64_t build_id);

class Scheduler {
 public:
  Scheduler(db::Database& db, BuildHooks hooks, std::string node, concourse::log::Logger log,
            std::chrono::milliseconds safety_interval = std::chrono::seconds(10));
  ~Scheduler();
  void start();
  void stop();
  // One pass if this node wins the lock; false when another node holds it.
  bool schedule_once();

 private:
  void loop();
  void schedule_job(const db::PipelineRow& p, const db::JobRow& j);
  void settle_and_start(const db::PipelineRow& p, const db::JobRow& j);

  db::Database& db_;
  BuildHooks hooks_;
  std::string node_;
  concourse::log::Logger log_;
  std::chrono::milliseconds safety_interval_;
  std::thread thread_;
  std::mutex mu_;
  bool stopping_ = false;
};

}  // namespace concourse::atc::scheduler
