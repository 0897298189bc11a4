#include "atc/api/ci_json.hpp"

#include "atc/auth/authenticator.hpp"

namespace concourse::atc::api {
namespace {

using nlohmann::json;

void walk_steps(const json& node, const char* key, std::vector<JobStepRef>& out) {
  if (node.is_array()) {
    for (const auto& e : node)
      walk_steps(e, key, out);
    return;
  }
  if (!node.is_object())
    return;
  if (node.contains(key) && node[key].is_string()) {
    JobStepRef ref;
    ref.name = node[key].get<std::string>();
    ref.resource = node.value("resource", ref.name);
    ref.trigger = node.value("trigger", false);
    if (node.contains("passed") && node["passed"].is_array())
      ref.passed = node["passed"];
    out.push_back(std::move(ref));
  }
  for (const auto& [k, v] : node.items()) {
    // Task configs and params are data, not steps.
    if (k != "config" && k != "params" && k != "source" && k != "get_params")
      walk_steps(v, key, out);
  }
}

}  // namespace

json pipeline_json(const db::PipelineRow& p) {
  json out = {{"id", p.id},
              {"name", p.name},
              {"paused", p.paused},
              {"public", p.is_public},
              {"archived", false},
              {"team_name", p.team},
              {"last_updated", p.last_updated}};
  if (!p.instance_vars.is_null())
    out["instance_vars"] = p.instance_vars;
  if (p.config.contains("groups") && p.config["groups"].is_array() && !p.config["groups"].empty())
    out["groups"] = p.config["groups"];
  if (p.config.contains("display") && p.config["display"].is_object())
    out["display"] = p.config["display"];
  return out;
}

json build_json(const db::BuildRow& b) {
  json out = {{"id", b.id},
              {"team_name", b.team},
              {"name", b.name},
              {"status", b.status},
              {"api_url", "/api/v1/builds/" + std::to_string(b.id)}};
  if (!b.job.empty())
    out["job_name"] = b.job;
  if (b.pipeline_id) {
    out["pipeline_id"] = *b.pipeline_id;
    out["pipeline_name"] = b.pipeline;
  }
  if (!b.pipeline_instance_vars.is_null())
    out["pipeline_instance_vars"] = b.pipeline_instance_vars;
  if (b.start_time > 0)
    out["start_time"] = b.start_time;
  if (b.end_time > 0)
    out["end_time"] = b.end_time;
  return out;
}

json job_json(const db::JobRow& j, const std::optional<db::BuildRow>& next,
              const std::optional<db::BuildRow>& finished) {
  json inputs = json::array();
  for (const auto& g : job_gets(j.config)) {
    json in = {{"name", g.name}, {"resource", g.resource}, {"trigger", g.trigger}};
    if (!g.passed.empty())
      in["passed"] = g.passed;
    inputs.push_back(in);
  }
  json outputs = json::array();
  for (const auto& p : job_puts(j.config))
    outputs.push_back({{"name", p.name}, {"resource", p.resource}});
  json out = {{"id", j.id},
              {"name", j.name},
              {"team_name", j.team},
              {"pipeline_id", j.pipeline_id},
              {"pipeline_name", j.pipeline},
              {"paused", j.paused},
              {"has_new_inputs", false},
              {"next_build", next ? build_json(*next) : json()},
              {"finished_build", finished ? build_json(*finished) : json()},
              {"inputs", inputs},
              {"outputs", outputs}};
  if (j.config.value("disable_manual_trigger", false))
    out["disable_manual_trigger"] = true;
  return out;
}

json resource_json(const db::ResourceRow& r) {
  json out = {{"id", r.id},
              {"name", r.name},
              {"pipeline_id", r.pipeline_id},
              {"pipeline_name", r.pipeline},
              {"team_name", r.team},
              {"type", r.type}};
  if (r.last_check > 0)
    out["last_checked"] = r.last_check;
  if (r.config.contains("icon"))
    out["icon"] = r.config["icon"];
  if (r.pinned_version) {
    out["pinned_version"] = *r.pinned_version;
    if (r.pinned_in_config)
      out["pinned_in_config"] = true;
  }
  if (!r.pin_comment.empty())
    out["pin_comment"] = r.pin_comment;
  if (!r.check_error.empty())
    out["check_error"] = r.check_error;
  return out;
}

json version_json(const db::VersionRow& v) {
  return json{{"id", v.id},
              {"version", v.version},
              {"metadata", v.metadata.is_array() ? v.metadata : json::array()},
              {"enabled", v.enabled}};
}

std::vector<JobStepRef> job_gets(const json& job_config) {
  std::vector<JobStepRef> out;
  walk_steps(job_config, "get", out);
  return out;
}

std::vector<JobStepRef> job_puts(const json& job_config) {
  std::vector<JobStepRef> out;
  walk_steps(job_config, "put", out);
  return out;
}

bool can_read_team(const Request& req, const std::string& team) {
  return req.claims && auth::can_act_on_team(*req.claims, team);
}

db::PipelineRow pipeline_for_read(Context& ctx, const Request& req) {
  auto p = db::Pipelines(*ctx.db).get(req.param("team"), req.param("pipeline"));
  if (p && (p->is_public || can_read_team(req, p->team)))
    return *p;
  if (p && !req.claims)
    throw HttpError::message(401, "not authorized");
  throw HttpError::message(404, "pipeline not found");
}

db::PipelineRow pipeline_for_write(Context& ctx, const Request& req) {
  require_team(require_auth(req), req.param("team"));
  auto p = db::Pipelines(*ctx.db).get(req.param("team"), req.param("pipeline"));
  if (!p)
    throw HttpError::message(404, "pipeline not found");
  return *p;
}

db::JobRow job_of(Context& ctx, const db::PipelineRow& p, const std::string& name) {
  auto j = db::Pipelines(*ctx.db).job(p.id, name);
  if (!j)
    throw HttpError::message(404, "job not found");
  return *j;
}

int64_t id_param(const Request& req, const std::string& name) {
  const std::string v = req.param(name);
  try {
    size_t used = 0;
    int64_t id = std::stoll(v, &used);
    if (used == v.size())
      return id;
  } catch (const std::exception&) {
  }
  throw HttpError::message(400, "malformed " + name + ": " + v);
}

}  // namespace concourse::atc::api
