// The scheduler's queries on builds: claiming, undetermined (manually triggered) builds, room
// under serial/max_in_flight, and outputs taken from a finished build's events.
#include <concourse/status.h>

#include <set>

#include "atc/db/sql.hpp"
#include "atc/scheduler/scheduler.hpp"
#include "core/error.hpp"

namespace concourse::atc::scheduler {
namespace {

using nlohmann::json;
namespace sql = db::sql;

// Plan id -> resource name of every get and put node of a plan.
void plan_resources(const json& node, std::map<std::string, std::string>& out) {
  if (node.is_array()) {
    for (const auto& e : node)
      plan_resources(e, out);
    return;
  }
  if (!node.is_object())
    return;
  for (const char* key : {"get", "put"}) {
    if (node.contains(key) && node[key].is_object() && node.contains("id"))
      out[node["id"].get<std::string>()] = node[key].value("resource", "");
  }
  for (const auto& [k, v] : node.items())
    if (k != "config" && k != "params" && k != "source")
      plan_resources(v, out);
}

int limit_of(const json& job) {
  if (job.value("serial", false))
    return 1;
  if (job.contains("max_in_flight") && job["max_in_flight"].is_number_integer())
    return std::max(1, job["max_in_flight"].get<int>());
  return 0;  // unlimited
}

}  // namespace

bool claim_build(db::Database& db, int64_t build_id, const std::string& node) {
  return db.exec(
               "UPDATE builds SET claimed_by = $2 WHERE id = $1 AND status = 'pending' AND "
               "claimed_by = '' AND inputs_determined",
               {sql::num(build_id), node})
             .affected() > 0;
}

db::BuildRow create_undetermined_build(db::Database& db, int64_t job_id, const std::string& why) {
  auto b = db::Builds(db).create_job_build(job_id, json(), {});
  db.exec(
      "UPDATE builds SET inputs_determined = false, plan = NULL, pending_reason = $2 "
      "WHERE id = $1",
      {sql::num(b.id), why});
  b.plan = json();
  return b;
}

bool job_has_room(db::Database& db, const db::JobRow& job) {
  std::set<std::string> groups;
  if (job.config.contains("serial_groups") && job.config["serial_groups"].is_array())
    for (const auto& g : job.config["serial_groups"])
      groups.insert(g.get<std::string>());
  int limit = groups.empty() ? limit_of(job.config) : 1;
  if (limit == 0)
    return true;
  std::vector<std::string> jobs = {std::to_string(job.id)};
  if (!groups.empty()) {
    // Every job of the pipeline sharing a serial group counts against the one slot.
    for (const auto& other : db::Pipelines(db).jobs(job.pipeline_id)) {
      if (other.id == job.id || !other.config.contains("serial_groups"))
        continue;
      for (const auto& g : other.config["serial_groups"])
        if (groups.count(g.get<std::string>()) > 0) {
          jobs.push_back(std::to_string(other.id));
          break;
        }
    }
  }
  std::string ids = "{";
  for (const auto& id : jobs)
    ids += (ids.size() > 1 ? "," : "") + id;
  ids += "}";
  auto n = db.exec(
                 "SELECT count(*) FROM builds WHERE job_id = ANY($1::bigint[]) AND NOT "
                 "completed AND (status = 'started' OR claimed_by <> '')",
                 {ids})
               .get_int(0, 0);
  return n < limit;
}

int log_retention(const json& job_config) {
  if (job_config.contains("build_log_retention") && job_config["build_log_retention"].is_object())
    return job_config["build_log_retention"].value("builds", 0);
  return job_config.value("build_logs_to_retain", 0);
}

void record_outputs(db::Database& db, int64_t build_id) {
  auto b = db::Builds(db).get(build_id);
  if (!b || !b->pipeline_id)
    return;
  std::map<std::string, std::string> by_plan_id;
  plan_resources(b->plan, by_plan_id);
  auto events = db.exec(
      "SELECT payload FROM build_events WHERE build_id = $1 AND type IN ('finish-put', "
      "'finish-get') ORDER BY event_id",
      {sql::num(build_id)});
  for (size_t i = 0; i < events.size(); ++i) {
    json e = json::parse(events.get(i, 0), nullptr, false);
    if (!e.is_object() || !e.contains("version") || !e["version"].is_object())
      continue;
    auto it = by_plan_id.find(e["origin"].value("id", ""));
    if (it == by_plan_id.end())
      continue;
    // A put's version becomes a version of the resource, as Concourse saves it.
    db.exec(
        "WITH r AS (SELECT id FROM resources WHERE pipeline_id = $2 AND name = $3), "
        "v AS (INSERT INTO resource_versions (resource_id, version, check_order) SELECT r.id, "
        "$4::jsonb, (SELECT COALESCE(MAX(check_order), 0) + 1 FROM resource_versions WHERE "
        "resource_id = r.id) FROM r ON CONFLICT (resource_id, version) DO NOTHING) "
        "INSERT INTO build_outputs (build_id, resource_id, version) SELECT $1, r.id, $4::jsonb "
        "FROM r",
        {sql::num(build_id), sql::num(*b->pipeline_id), it->second, e["version"].dump()});
  }
}

}  // namespace concourse::atc::scheduler
