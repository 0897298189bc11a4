// Mirrors Concourse's atc/builds planner: each config step becomes an atc.Plan node with a fresh
// id; modifiers wrap the core step in Concourse's fixed order (ensure outermost, then on_error,
// on_abort, on_failure, on_success, across, attempts, timeout, core).
#include "planner.hpp"

#include <cstdio>
#include <variant>

#include "atc/config/parse.hpp"

namespace concourse::atc::engine {
namespace {

using config::Json;

class Planner {
 public:
  Planner(const config::Pipeline& pipeline, const std::map<std::string, Json>& versions)
      : pipeline_(pipeline), versions_(versions) {}

  Json job(const config::Job& job) {
    Json steps = Json::array();
    for (const auto& s : job.plan)
      steps.push_back(step(s));
    Json root = node("do", steps);
    return hooks(root, job.on_success, job.on_failure, job.on_abort, job.on_error, job.ensure);
  }

  Json step(const config::Step& s) {
    Json plan = core(s);
    if (!s.timeout.empty())
      plan = node("timeout", {{"duration", s.timeout}, {"step", plan}});
    if (s.attempts && *s.attempts > 1)
      plan = retry(s, *s.attempts);
    if (s.across)
      plan = across(*s.across, plan);
    return hooks(plan, s.on_success, s.on_failure, s.on_abort, s.on_error, s.ensure);
  }

 private:
  std::string next_id() {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(++counter_));
    return buf;
  }

  Json node(const char* key, Json body) { return Json{{"id", next_id()}, {key, std::move(body)}}; }

  // Each attempt is a separate plan with its own ids, as Concourse's RetryPlan holds.
  Json retry(const config::Step& s, int attempts) {
    Json list = Json::array();
    for (int i = 1; i <= attempts; ++i) {
      Json attempt = core(s);
      if (!s.timeout.empty())
        attempt = node("timeout", {{"duration", s.timeout}, {"step", attempt}});
      attempt["attempts"] = Json::array({i});
      list.push_back(attempt);
    }
    return node("retry", list);
  }

  Json across(const config::Across& a, const Json& inner) {
    Json vars = Json::array();
    for (const auto& v : a.vars) {
      Json var{{"name", v.var}, {"values", v.values}};
      if (!v.max_in_flight.empty())
        var["max_in_flight"] = v.max_in_flight;
      vars.push_back(var);
    }
    Json body{{"vars", vars}, {"substep_template", inner.dump()}};
    if (a.fail_fast)
      body["fail_fast"] = true;
    return node("across", body);
  }

  Json hooks(Json plan, const config::StepPtr& on_success, const config::StepPtr& on_failure,
             const config::StepPtr& on_abort, const config::StepPtr& on_error,
             const config::StepPtr& ensure) {
    auto wrap = [&](const char* key, const config::StepPtr& hook) {
      if (hook)
        plan = node(key, {{"step", plan}, {key, step(*hook)}});
    };
    wrap("on_success", on_success);
    wrap("on_failure", on_failure);
    wrap("on_abort", on_abort);
    wrap("on_error", on_error);
    wrap("ensure", ensure);
    return plan;
  }

  Json core(const config::Step& s);
  Json get(const config::GetStep& g, const std::vector<std::string>& tags);
  Json put(const config::PutStep& p, const std::vector<std::string>& tags);
  Json task(const config::TaskStep& t, const std::vector<std::string>& tags);

  const config::Resource& resource(const std::string& name) {
    const config::Resource* r = pipeline_.find_resource(name);
    if (r == nullptr)
      throw std::invalid_argument("unknown resource '" + name + "'");
    return *r;
  }

  const config::Pipeline& pipeline_;
  const std::map<std::string, Json>& versions_;
  uint64_t counter_ = 0;
};

void put_tags(Json& body, const std::vector<std::string>& step_tags,
              const std::vector<std::string>& resource_tags) {
  const auto& tags = step_tags.empty() ? resource_tags : step_tags;
  if (!tags.empty())
    body["tags"] = tags;
}

Json Planner::get(const config::GetStep& g, const std::vector<std::string>& tags) {
  const auto& r = resource(g.resource_name());
  Json body{{"name", g.name}, {"type", r.type}, {"resource", r.name}, {"source", r.source}};
  if (!g.params.is_null() && !g.params.empty())
    body["params"] = g.params;
  if (auto it = versions_.find(g.name); it != versions_.end())
    body["version"] = it->second;
  else if (g.version && g.version->mode == config::VersionConfig::Mode::kPinned)
    body["version"] = g.version->pinned;
  else if (r.version)
    body["version"] = *r.version;
  put_tags(body, tags, r.tags);
  return node("get", body);
}

// A put is followed by the get of what it produced (unless no_get), fetched with
// version_from = the put's plan id, as Concourse's on_success(put, dependent get) does.
Json Planner::put(const config::PutStep& p, const std::vector<std::string>& tags) {
  const auto& r = resource(p.resource_name());
  Json body{{"name", p.name}, {"type", r.type}, {"resource", r.name}, {"source", r.source}};
  if (!p.params.is_null() && !p.params.empty())
    body["params"] = p.params;
  if (p.inputs) {
    if (p.inputs->mode == config::PutInputs::Mode::kSpecified)
      body["inputs"] = p.inputs->names;
    else
      body["inputs"] = p.inputs->mode == config::PutInputs::Mode::kAll ? "all" : "detect";
  }
  put_tags(body, tags, r.tags);
  Json put_plan = node("put", body);
  if (p.no_get)
    return put_plan;
  Json get_body{{"name", p.name},
                {"type", r.type},
                {"resource", r.name},
                {"source", r.source},
                {"version_from", put_plan["id"]}};
  if (!p.get_params.is_null() && !p.get_params.empty())
    get_body["params"] = p.get_params;
  put_tags(get_body, tags, r.tags);
  Json get_plan = node("get", get_body);
  return node("on_success", {{"step", put_plan}, {"on_success", get_plan}});
}

Json Planner::task(const config::TaskStep& t, const std::vector<std::string>& tags) {
  Json body{{"name", t.name}, {"privileged", t.privileged}};
  if (t.config)
    body["config"] = config::to_json(*t.config);
  else
    body["config_path"] = t.file;
  if (!t.params.is_null() && !t.params.empty())
    body["params"] = t.params;
  if (!t.vars.is_null() && !t.vars.empty())
    body["vars"] = t.vars;
  if (!t.input_mapping.empty())
    body["input_mapping"] = t.input_mapping;
  if (!t.output_mapping.empty())
    body["output_mapping"] = t.output_mapping;
  if (!t.image.empty())
    body["image"] = t.image;
  if (t.hermetic)
    body["hermetic"] = true;
  if (!tags.empty())
    body["tags"] = tags;
  return node("task", body);
}

Json Planner::core(const config::Step& s) {
  if (const auto* g = s.as<config::GetStep>())
    return get(*g, s.tags);
  if (const auto* p = s.as<config::PutStep>())
    return put(*p, s.tags);
  if (const auto* t = s.as<config::TaskStep>())
    return task(*t, s.tags);
  if (const auto* ip = s.as<config::InParallelStep>()) {
    Json steps = Json::array();
    for (const auto& sub : ip->steps)
      steps.push_back(step(sub));
    Json body{{"steps", steps}};
    if (ip->limit > 0)
      body["limit"] = ip->limit;
    if (ip->fail_fast)
      body["fail_fast"] = true;
    return node("in_parallel", body);
  }
  if (const auto* d = s.as<config::DoStep>()) {
    Json steps = Json::array();
    for (const auto& sub : d->steps)
      steps.push_back(step(sub));
    return node("do", steps);
  }
  if (const auto* t = s.as<config::TryStep>())
    return node("try", {{"step", t->step ? step(*t->step) : node("do", Json::array())}});
  // set_pipeline, load_var and run keep their configuration; the engine reports them as
  // unsupported when it reaches them rather than the planner refusing the whole job.
  return node(s.type(), config::to_json(s));
}

}  // namespace

nlohmann::json plan_job(const config::Pipeline& pipeline, const config::Job& job,
                        const std::map<std::string, nlohmann::json>& versions) {
  return Planner(pipeline, versions).job(job);
}

}  // namespace concourse::atc::engine
