// Typed config back to Concourse's JSON names. Empty and default fields are omitted, as Go's
// `omitempty` does, so stored configs stay small and diffs readable.
#include "parse.hpp"

namespace concourse::atc::config {
namespace {

void put_string(Json& out, const char* key, const std::string& v) {
  if (!v.empty())
    out[key] = v;
}

void put_bool(Json& out, const char* key, bool v) {
  if (v)
    out[key] = true;
}

void put_json(Json& out, const char* key, const Json& v) {
  if (!v.is_null())
    out[key] = v;
}

template <class T>
void put_list(Json& out, const char* key, const std::vector<T>& v) {
  if (!v.empty())
    out[key] = v;
}

void put_map(Json& out, const char* key, const StringMap& v) {
  if (!v.empty())
    out[key] = v;
}

Json limits_json(const ContainerLimits& l) {
  Json out = Json::object();
  if (l.cpu)
    out["cpu"] = *l.cpu;
  if (l.memory)
    out["memory"] = *l.memory;
  return out;
}

Json steps_json(const std::vector<Step>& steps) {
  Json out = Json::array();
  for (const Step& s : steps)
    out.push_back(to_json(s));
  return out;
}

struct CoreWriter {
  Json& out;
  void operator()(const GetStep& s) const {
    out["get"] = s.name;
    put_string(out, "resource", s.resource);
    if (s.version) {
      if (s.version->mode == VersionConfig::Mode::kPinned)
        out["version"] = s.version->pinned;
      else
        out["version"] = s.version->mode == VersionConfig::Mode::kEvery ? "every" : "latest";
    }
    put_json(out, "params", s.params);
    put_list(out, "passed", s.passed);
    put_bool(out, "trigger", s.trigger);
  }
  void operator()(const PutStep& s) const {
    out["put"] = s.name;
    put_string(out, "resource", s.resource);
    put_json(out, "params", s.params);
    if (s.inputs) {
      if (s.inputs->mode == PutInputs::Mode::kSpecified)
        out["inputs"] = s.inputs->names;
      else
        out["inputs"] = s.inputs->mode == PutInputs::Mode::kAll ? "all" : "detect";
    }
    put_json(out, "get_params", s.get_params);
    put_bool(out, "no_get", s.no_get);
  }
  void operator()(const TaskStep& s) const {
    out["task"] = s.name;
    put_string(out, "file", s.file);
    if (s.config)
      out["config"] = to_json(*s.config);
    put_bool(out, "privileged", s.privileged);
    put_bool(out, "hermetic", s.hermetic);
    put_json(out, "params", s.params);
    put_json(out, "vars", s.vars);
    put_map(out, "input_mapping", s.input_mapping);
    put_map(out, "output_mapping", s.output_mapping);
    put_string(out, "image", s.image);
    if (s.container_limits)
      out["container_limits"] = limits_json(*s.container_limits);
  }
  void operator()(const SetPipelineStep& s) const {
    out["set_pipeline"] = s.name;
    put_string(out, "file", s.file);
    put_json(out, "vars", s.vars);
    put_list(out, "var_files", s.var_files);
    put_string(out, "team", s.team);
    put_json(out, "instance_vars", s.instance_vars);
  }
  void operator()(const LoadVarStep& s) const {
    out["load_var"] = s.name;
    put_string(out, "file", s.file);
    put_string(out, "format", s.format);
    put_bool(out, "reveal", s.reveal);
  }
  void operator()(const RunStep& s) const {
    out["run"] = s.message;
    put_string(out, "type", s.type);
    put_json(out, "params", s.params);
    put_bool(out, "privileged", s.privileged);
  }
  void operator()(const InParallelStep& s) const {
    Json config = {{"steps", steps_json(s.steps)}};
    if (s.limit != 0)
      config["limit"] = s.limit;
    put_bool(config, "fail_fast", s.fail_fast);
    out["in_parallel"] = config;
  }
  void operator()(const DoStep& s) const { out["do"] = steps_json(s.steps); }
  void operator()(const TryStep& s) const { out["try"] = s.step ? to_json(*s.step) : Json(); }
};

void put_hook(Json& out, const char* key, const StepPtr& hook) {
  if (hook)
    out[key] = to_json(*hook);
}

Json resource_json(const Resource& r) {
  Json out = {{"name", r.name}, {"type", r.type}, {"source", r.source}};
  put_string(out, "old_name", r.old_name);
  put_string(out, "check_every", r.check_every);
  put_string(out, "check_timeout", r.check_timeout);
  put_list(out, "tags", r.tags);
  if (r.version)
    out["version"] = *r.version;
  put_string(out, "icon", r.icon);
  put_bool(out, "public", r.is_public);
  put_string(out, "webhook_token", r.webhook_token);
  put_bool(out, "expose_build_created_by", r.expose_build_created_by);
  return out;
}

Json resource_type_json(const ResourceType& t) {
  Json out = {{"name", t.name}, {"type", t.type}, {"source", t.source}};
  put_json(out, "defaults", t.defaults);
  put_bool(out, "privileged", t.privileged);
  put_string(out, "check_every", t.check_every);
  put_list(out, "tags", t.tags);
  put_json(out, "params", t.params);
  return out;
}

Json job_json(const Job& j) {
  Json out = {{"name", j.name}, {"plan", steps_json(j.plan)}};
  put_string(out, "old_name", j.old_name);
  put_bool(out, "serial", j.serial);
  put_list(out, "serial_groups", j.serial_groups);
  if (j.max_in_flight)
    out["max_in_flight"] = *j.max_in_flight;
  put_bool(out, "public", j.is_public);
  put_bool(out, "interruptible", j.interruptible);
  put_bool(out, "disable_manual_trigger", j.disable_manual_trigger);
  if (j.build_log_retention) {
    const BuildLogRetention& r = *j.build_log_retention;
    out["build_log_retention"] = Json::object();
    if (r.builds != 0)
      out["build_log_retention"]["builds"] = r.builds;
    if (r.days != 0)
      out["build_log_retention"]["days"] = r.days;
    if (r.minimum_succeeded_builds != 0)
      out["build_log_retention"]["minimum_succeeded_builds"] = r.minimum_succeeded_builds;
  }
  if (j.build_logs_to_retain != 0)
    out["build_logs_to_retain"] = j.build_logs_to_retain;
  put_hook(out, "on_success", j.on_success);
  put_hook(out, "on_failure", j.on_failure);
  put_hook(out, "on_error", j.on_error);
  put_hook(out, "on_abort", j.on_abort);
  put_hook(out, "ensure", j.ensure);
  return out;
}

}  // namespace

Json to_json(const Step& step) {
  Json out = Json::object();
  std::visit(CoreWriter{out}, step.core);
  put_list(out, "tags", step.tags);
  put_string(out, "timeout", step.timeout);
  if (step.attempts)
    out["attempts"] = *step.attempts;
  if (step.across) {
    Json vars = Json::array();
    for (const AcrossVar& v : step.across->vars) {
      Json var = {{"var", v.var}, {"values", v.values}};
      put_string(var, "max_in_flight", v.max_in_flight);
      vars.push_back(var);
    }
    out["across"] = vars;
    put_bool(out, "fail_fast", step.across->fail_fast);
  }
  put_hook(out, "on_success", step.on_success);
  put_hook(out, "on_failure", step.on_failure);
  put_hook(out, "on_error", step.on_error);
  put_hook(out, "on_abort", step.on_abort);
  put_hook(out, "ensure", step.ensure);
  return out;
}

Json to_json(const TaskConfig& c) {
  Json out = {{"platform", c.platform}};
  if (c.image_resource) {
    const ImageResource& ir = *c.image_resource;
    Json image = {{"type", ir.type}, {"source", ir.source}};
    put_string(image, "name", ir.name);
    put_json(image, "params", ir.params);
    if (ir.version)
      image["version"] = *ir.version;
    put_list(image, "tags", ir.tags);
    out["image_resource"] = image;
  }
  put_string(out, "rootfs_uri", c.rootfs_uri);
  Json run = {{"path", c.run.path}};
  put_list(run, "args", c.run.args);
  put_string(run, "dir", c.run.dir);
  put_string(run, "user", c.run.user);
  out["run"] = run;
  for (const TaskInput& in : c.inputs) {
    Json input = {{"name", in.name}};
    put_string(input, "path", in.path);
    put_bool(input, "optional", in.optional);
    out["inputs"].push_back(input);
  }
  for (const TaskOutput& o : c.outputs) {
    Json output = {{"name", o.name}};
    put_string(output, "path", o.path);
    out["outputs"].push_back(output);
  }
  for (const std::string& path : c.caches)
    out["caches"].push_back({{"path", path}});
  put_map(out, "params", c.params);
  if (c.container_limits)
    out["container_limits"] = limits_json(*c.container_limits);
  return out;
}

Json to_json(const Pipeline& p) {
  Json out = Json::object();
  out["resources"] = Json::array();
  for (const Resource& r : p.resources)
    out["resources"].push_back(resource_json(r));
  out["jobs"] = Json::array();
  for (const Job& j : p.jobs)
    out["jobs"].push_back(job_json(j));
  for (const ResourceType& t : p.resource_types)
    out["resource_types"].push_back(resource_type_json(t));
  for (const ResourceType& t : p.prototypes)
    out["prototypes"].push_back(resource_type_json(t));
  for (const Group& g : p.groups) {
    Json group = {{"name", g.name}};
    put_list(group, "jobs", g.jobs);
    put_list(group, "resources", g.resources);
    out["groups"].push_back(group);
  }
  for (const VarSource& v : p.var_sources)
    out["var_sources"].push_back({{"name", v.name}, {"type", v.type}, {"config", v.config}});
  if (p.display) {
    Json display = {{"background_image", p.display->background_image}};
    put_string(display, "background_filter", p.display->background_filter);
    out["display"] = display;
  }
  return out;
}

}  // namespace concourse::atc::config
