#include "atc/scheduler/scheduler.hpp"

#include "atc/db/sql.hpp"
#include "atc/scheduler/inputs.hpp"
#include "atc/scheduler/wakeup.hpp"

namespace concourse::atc::scheduler {
namespace {

using nlohmann::json;
namespace sql = db::sql;

std::map<std::string, json> versions_of(const InputSet& set) {
  std::map<std::string, json> out;
  for (const auto& in : set.inputs)
    out[in.name] = in.version;
  return out;
}

}  // namespace

Scheduler::Scheduler(db::Database& db, BuildHooks hooks, std::string node,
                     concourse::log::Logger log, std::chrono::milliseconds safety_interval)
    : db_(db),
      hooks_(std::move(hooks)),
      node_(std::move(node)),
      log_(std::move(log)),
      safety_interval_(safety_interval) {}

Scheduler::~Scheduler() {
  stop();
}

void Scheduler::start() {
  {
    std::lock_guard lock(mu_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { loop(); });
}

void Scheduler::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  schedule_signal().notify();
  if (thread_.joinable())
    thread_.join();
}

void Scheduler::loop() {
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stopping_)
        return;
    }
    try {
      schedule_once();
    } catch (const std::exception& e) {
      // A database outage must not end the loop: the next pass retries.
      log_.error("scheduling-failed", {{"error", e.what()}});
    }
    schedule_signal().wait_for(safety_interval_);
  }
}

bool Scheduler::schedule_once() {
  return db_.with_advisory_lock(kLockScheduler, [this] {
    auto done = db_.exec("SELECT id FROM builds WHERE completed AND NOT outputs_recorded");
    for (size_t i = 0; i < done.size(); ++i) {
      record_outputs(db_, done.get_int(i, 0));
      db_.exec("UPDATE builds SET outputs_recorded = true WHERE id = $1", {done.get(i, 0)});
    }
    db::Pipelines pipelines(db_);
    for (const auto& p : pipelines.list()) {
      for (const auto& j : pipelines.jobs(p.id)) {
        try {
          if (!p.paused && !j.paused)
            schedule_job(p, j);
          settle_and_start(p, j);
        } catch (const std::exception& e) {
          log_.error("schedule-job-failed",
                     {{"pipeline", p.name}, {"job", j.name}, {"error", e.what()}});
        }
      }
    }
  });
}

void Scheduler::schedule_job(const db::PipelineRow& p, const db::JobRow& j) {
  // A manual trigger still waiting for inputs takes the versions that would trigger.
  if (!db_.exec("SELECT 1 FROM builds WHERE job_id = $1 AND status = 'pending' AND NOT "
                "inputs_determined LIMIT 1",
                {sql::num(j.id)})
           .empty())
    return;
  auto set = select_inputs(db_, p.id, j.id, j.config);
  if (!set.ready || !set.has_new_trigger)
    return;
  json plan = hooks_.plan(p, j, versions_of(set));
  auto b = db::Builds(db_).create_job_build(j.id, plan, set.inputs);
  log_.info("build-scheduled", {{"pipeline", p.name}, {"job", j.name}, {"build", b.name}});
}

// Pending builds start oldest first; a limited job never lets a later build overtake one still
// waiting for its inputs. A paused job or pipeline starts nothing.
void Scheduler::settle_and_start(const db::PipelineRow& p, const db::JobRow& j) {
  auto pending = db_.exec(
      "SELECT id, inputs_determined FROM builds WHERE job_id = $1 AND status = 'pending' AND "
      "claimed_by = '' AND NOT aborted ORDER BY id",
      {sql::num(j.id)});
  db::Builds builds(db_);
  for (size_t i = 0; i < pending.size(); ++i) {
    int64_t id = pending.get_int(i, 0);
    if (!pending.get_bool(i, 1)) {
      auto set = select_inputs(db_, p.id, j.id, j.config);
      if (!set.ready) {
        db_.exec("UPDATE builds SET pending_reason = $2 WHERE id = $1",
                 {sql::num(id), set.waiting});
        return;
      }
      json plan = hooks_.plan(p, j, versions_of(set));
      db_.transaction([&](db::Connection& c) {
        c.exec(
            "UPDATE builds SET plan = $2::jsonb, inputs_determined = true, pending_reason = '' "
            "WHERE id = $1",
            {sql::num(id), plan.dump()});
        for (const auto& in : set.inputs)
          c.exec(
              "INSERT INTO build_inputs (build_id, resource_id, name, version) "
              "VALUES ($1, $2, $3, $4::jsonb)",
              {sql::num(id), sql::num(in.resource_id), in.name, in.version.dump()});
      });
    }
    if (p.paused || j.paused || !job_has_room(db_, j))
      return;
    if (!claim_build(db_, id, node_))
      continue;
    auto b = builds.get(id);
    if (b)
      hooks_.run(*b, log_retention(j.config));
  }
}

}  // namespace concourse::atc::scheduler
