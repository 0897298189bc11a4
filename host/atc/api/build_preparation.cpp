#include "atc/api/build_preparation.hpp"

#include "atc/db/pipelines.hpp"
#include "atc/db/sql.hpp"
#include "atc/scheduler/scheduler.hpp"

namespace concourse::atc::api {
namespace {

using nlohmann::json;

const char* blocking(bool b) {
  return b ? "blocking" : "not_blocking";
}

// The job's get steps by name, wherever they sit in the plan (do, in_parallel, hooks...).
void collect_gets(const json& node, json& out) {
  if (node.is_array()) {
    for (const auto& n : node)
      collect_gets(n, out);
    return;
  }
  if (!node.is_object())
    return;
  if (node.contains("get") && node["get"].is_string())
    out[node["get"].get<std::string>()] = "not_blocking";
  for (const auto& [key, value] : node.items())
    if (key != "params" && key != "config" && key != "source")
      collect_gets(value, out);
}

}  // namespace

json build_preparation(db::Database& db, const db::BuildRow& build) {
  json p{{"build_id", build.id},
         {"paused_pipeline", "not_blocking"},
         {"paused_job", "not_blocking"},
         {"max_running_builds", "not_blocking"},
         {"inputs", json::object()},
         {"inputs_satisfied", "not_blocking"},
         {"missing_input_reasons", json::object()}};
  if (build.status != "pending" || !build.job_id || !build.pipeline_id)
    return p;
  auto pipeline = db::Pipelines(db).get_by_id(*build.pipeline_id);
  auto job = pipeline ? db::Pipelines(db).job(*build.pipeline_id, build.job) : std::nullopt;
  if (!pipeline || !job)
    return p;
  p["paused_pipeline"] = blocking(pipeline->paused);
  p["paused_job"] = blocking(job->paused);
  p["max_running_builds"] = blocking(!scheduler::job_has_room(db, *job));
  json inputs = json::object();
  collect_gets(job->config.value("plan", json::array()), inputs);
  auto row = db.exec("SELECT inputs_determined, pending_reason FROM builds WHERE id = $1",
                     {db::sql::num(build.id)});
  if (!row.empty() && !row.get_bool(0, 0)) {
    // The scheduler records the first input it could not satisfy; the others are unknown yet.
    std::string reason = row.get(0, 1);
    for (auto& [name, state] : inputs.items()) {
      bool named = reason.find("'" + name + "'") != std::string::npos;
      state = named ? "blocking" : "unknown";
      if (named)
        p["missing_input_reasons"][name] = reason;
    }
    if (p["missing_input_reasons"].empty() && !reason.empty())
      p["missing_input_reasons"]["_"] = reason;
    p["inputs_satisfied"] = "blocking";
  }
  p["inputs"] = inputs;
  return p;
}

}  // namespace concourse::atc::api
