// set_pipeline: a pipeline file from an artifact, with the step's vars and var_files
// substituted, validated as `fly set-pipeline` validates it and saved through the same store
// (at the version just read, so a concurrent change is a conflict, not lost). Concourse's step
// only lets the main team set other teams' pipelines, and creates new pipelines unpaused.
#include <concourse/status.h>

#include "atc/config/parse.hpp"
#include "atc/config/validate.hpp"
#include "core/error.hpp"
#include "pipeline_store.hpp"
#include "steps.hpp"

namespace concourse::atc::engine {
namespace {

// vars first, then var_files in order: the first source defining a var wins, as in Concourse.
class LayeredVars : public config::Variables {
 public:
  std::vector<config::StaticVariables> layers;
  std::optional<json> lookup(const config::VarRef& ref) const override {
    for (const auto& layer : layers) {
      if (auto v = layer.lookup(ref))
        return v;
    }
    return std::nullopt;
  }
};

struct Target {
  std::string team, name;
};

Target target_of(BuildContext& ctx, const json& body) {
  Target t{body.value("team", ""), body.value("set_pipeline", "")};
  const std::string& own_team = ctx.request.team;
  if (t.team.empty())
    t.team = own_team;
  if (t.team != own_team && own_team != "main")
    throw StepError("only the main team can set another team's pipelines");
  if (t.name == "self") {
    if (ctx.request.pipeline.empty())
      throw StepError("set_pipeline: self is only possible in a pipeline's build");
    if (t.team != own_team)
      throw StepError("set_pipeline: self cannot set a pipeline of another team");
    t.name = ctx.request.pipeline;
  }
  if (t.name.empty())
    throw StepError("set_pipeline has no pipeline name");
  if (body.contains("instance_vars") && !body["instance_vars"].empty())
    throw StepError("set_pipeline with instance_vars is not supported yet");
  return t;
}

void load_vars(BuildContext& ctx, const json& body, LayeredVars& out) {
  if (body.contains("vars") && body["vars"].is_object()) {
    config::StaticVariables& layer = out.layers.emplace_back();
    for (const auto& [k, v] : body["vars"].items())
      layer.set(k, v);
  }
  for (const auto& file : body.value("var_files", json::array())) {
    std::string path = file.get<std::string>();
    try {
      out.layers.emplace_back().load_yaml(read_step_file(ctx, path));
    } catch (const config::ParseError& e) {
      throw StepError("var file " + path + ": " + e.what());
    }
  }
}

config::Pipeline parse_checked(BuildContext& ctx, const std::string& id, const std::string& file,
                               const std::string& text, const LayeredVars& vars) {
  config::Pipeline p;
  try {
    config::ParseOptions options;
    options.vars = &vars;
    p = config::parse_pipeline(text, options);
  } catch (const config::ParseError& e) {
    std::string msg = "invalid pipeline config " + file + ":";
    for (const auto& err : e.errors())
      msg += "\n  " + err.to_string();
    throw StepError(msg);
  }
  config::ValidationResult result = config::validate(p);
  for (const auto& w : result.warnings)
    ctx.log_line(id, "stderr", "WARNING: " + w.message + "\n");
  if (!result.ok()) {
    std::string msg = "invalid pipeline config " + file + ":";
    for (const auto& err : result.errors)
      msg += "\n  " + err;
    throw StepError(msg);
  }
  return p;
}

// What changed, entity by entity ("job unit has changed"), as Concourse's step prints it.
std::string describe_changes(const json& before, const json& after) {
  static const std::pair<const char*, const char*> kSections[] = {
      {"resource_types", "resource type"},
      {"resources", "resource"},
      {"jobs", "job"},
      {"groups", "group"},
      {"var_sources", "var source"}};
  auto by_name = [](const json& doc, const char* key) {
    std::map<std::string, json> out;
    if (doc.is_object() && doc.contains(key) && doc[key].is_array()) {
      for (const auto& e : doc[key])
        out[e.value("name", "")] = e;
    }
    return out;
  };
  std::string out;
  for (const auto& [key, label] : kSections) {
    auto was = by_name(before, key);
    auto now = by_name(after, key);
    for (const auto& [name, cfg] : now) {
      auto it = was.find(name);
      if (it == was.end())
        out += std::string(label) + " " + name + " has been added\n";
      else if (it->second != cfg)
        out += std::string(label) + " " + name + " has changed\n";
    }
    for (const auto& [name, cfg] : was) {
      if (!now.contains(name))
        out += std::string(label) + " " + name + " has been removed\n";
    }
  }
  auto display = [](const json& doc) {
    return doc.is_object() ? doc.value("display", json()) : json();
  };
  if (display(before) != display(after))
    out += "display has changed\n";
  return out;
}

}  // namespace

Outcome run_set_pipeline(BuildContext& ctx, const std::string& id, const json& body,
                         const Cancel& cancel) {
  ctx.emit_origin("initialize", id);
  ctx.emit_origin("start", id);
  if (ctx.pipelines == nullptr)
    throw StepError("set_pipeline needs a web node: this engine has no pipeline store");
  Target t = target_of(ctx, body);
  std::string file = body.value("file", "");
  LayeredVars vars;
  load_vars(ctx, body, vars);
  config::Pipeline p = parse_checked(ctx, id, file, read_step_file(ctx, file), vars);
  json cfg = config::to_json(p);
  if (cancel.stop())
    return Outcome::kAborted;
  auto current = ctx.pipelines->current(t.team, t.name);
  if (current && current->config == cfg) {
    ctx.log_line(id, "stdout", "no changes to apply.\n");
  } else {
    ctx.log_line(id, "stdout", describe_changes(current ? current->config : json(), cfg));
    ctx.log_line(id, "stdout", "setting pipeline: " + t.name + "\n");
    try {
      bool created = ctx.pipelines->save(
          t.team, t.name, cfg, current ? std::optional(current->config_version) : std::nullopt);
      ctx.log_line(id, "stdout", created ? "created pipeline " + t.name + "\n" : "done\n");
    } catch (const core::Error& e) {
      if (e.code() == CC_E_CONFLICT)
        throw StepError("pipeline " + t.name + " changed while it was being set; run again");
      if (e.code() == CC_E_NOT_FOUND)
        throw StepError("team " + t.team + " not found");
      throw;
    }
  }
  ctx.emit_origin("finish", id, {{"succeeded", true}});
  return Outcome::kSucceeded;
}

}  // namespace concourse::atc::engine
