// Step decoding in Concourse's precedence: modifiers are peeled off first, then exactly one core
// step type must remain (atc/steps.go). Unknown keys are errors, as Concourse's strict decoding
// makes them.
#include "decoder.hpp"

#include <array>

namespace concourse::atc::config::detail {
namespace {

constexpr std::array<std::string_view, 9> kCoreKeys = {
    "run", "task", "put", "get", "set_pipeline", "load_var", "try", "do", "in_parallel"};
constexpr std::array<std::string_view, 9> kModifierKeys = {"ensure",     "on_error",   "on_abort",
                                                           "on_failure", "on_success", "across",
                                                           "attempts",   "timeout",    "tags"};

std::vector<std::string_view> core_fields(std::string_view core) {
  if (core == "get")
    return {"get", "resource", "version", "params", "passed", "trigger"};
  if (core == "put")
    return {"put", "resource", "params", "inputs", "get_params", "no_get"};
  if (core == "task")
    return {"task", "file",          "config",         "privileged", "hermetic",        "params",
            "vars", "input_mapping", "output_mapping", "image",      "container_limits"};
  if (core == "set_pipeline")
    return {"set_pipeline", "file", "vars", "var_files", "team", "instance_vars"};
  if (core == "load_var")
    return {"load_var", "file", "format", "reveal"};
  if (core == "run")
    return {"run", "type", "params", "privileged"};
  return {core};
}

void check_keys(Decoder& d, const Node& n, const std::string& path, std::string_view core) {
  std::vector<std::string_view> allowed = core_fields(core);
  allowed.insert(allowed.end(), kModifierKeys.begin(), kModifierKeys.end());
  if (n.find("across") != nullptr)
    allowed.push_back("fail_fast");
  for (const Node::Entry& e : n.entries()) {
    if (std::find(allowed.begin(), allowed.end(), e.key) != allowed.end())
      continue;
    if (std::find(kCoreKeys.begin(), kCoreKeys.end(), e.key) != kCoreKeys.end())
      d.error(e.key_mark, child_path(path, e.key),
              "conflicts with '" + std::string(core) + "': a step has exactly one core step type");
    else
      d.error(e.key_mark, child_path(path, e.key), "unknown field");
  }
}

void decode_version(Decoder& d, const Node& v, const std::string& path, VersionConfig& out) {
  if (v.is_string() && (v.text() == "latest" || v.text() == "every")) {
    out.mode = v.text() == "every" ? VersionConfig::Mode::kEvery : VersionConfig::Mode::kLatest;
    return;
  }
  if (v.is_map()) {
    out.mode = VersionConfig::Mode::kPinned;
    d.read(v, path, out.pinned);
    return;
  }
  d.error(v, path, "expected 'latest', 'every' or a version map, got '" + v.text() + "'");
}

void decode_inputs(Decoder& d, const Node& v, const std::string& path, PutInputs& out) {
  if (v.is_string() && (v.text() == "all" || v.text() == "detect")) {
    out.mode = v.text() == "all" ? PutInputs::Mode::kAll : PutInputs::Mode::kDetect;
    return;
  }
  if (v.is_sequence()) {
    out.mode = PutInputs::Mode::kSpecified;
    d.read(v, path, out.names);
    return;
  }
  d.error(v, path, "expected 'all', 'detect' or a list of artifact names");
}

void decode_get(Decoder& d, const Node& n, const std::string& path, GetStep& out) {
  d.field(n, "get", path, out.name);
  d.field(n, "resource", path, out.resource);
  if (const Node* v = n.find("version"); v != nullptr && !v->is_null())
    decode_version(d, *v, child_path(path, "version"), out.version.emplace());
  d.field(n, "params", path, out.params);
  d.field(n, "passed", path, out.passed);
  d.field(n, "trigger", path, out.trigger);
}

void decode_put(Decoder& d, const Node& n, const std::string& path, PutStep& out) {
  d.field(n, "put", path, out.name);
  d.field(n, "resource", path, out.resource);
  d.field(n, "params", path, out.params);
  if (const Node* v = n.find("inputs"); v != nullptr && !v->is_null())
    decode_inputs(d, *v, child_path(path, "inputs"), out.inputs.emplace());
  d.field(n, "get_params", path, out.get_params);
  d.field(n, "no_get", path, out.no_get);
}

void decode_task(Decoder& d, const Node& n, const std::string& path, TaskStep& out) {
  d.field(n, "task", path, out.name);
  d.field(n, "file", path, out.file);
  if (const Node* v = n.find("config"); v != nullptr && !v->is_null())
    decode_task_config(d, *v, child_path(path, "config"), out.config.emplace());
  d.field(n, "privileged", path, out.privileged);
  d.field(n, "hermetic", path, out.hermetic);
  d.field(n, "params", path, out.params);
  d.field(n, "vars", path, out.vars);
  d.field(n, "input_mapping", path, out.input_mapping);
  d.field(n, "output_mapping", path, out.output_mapping);
  d.field(n, "image", path, out.image);
  if (const Node* v = n.find("container_limits"); v != nullptr && !v->is_null())
    d.read_limits(*v, child_path(path, "container_limits"), out.container_limits.emplace());
}

void decode_set_pipeline(Decoder& d, const Node& n, const std::string& path, SetPipelineStep& out) {
  d.field(n, "set_pipeline", path, out.name);
  d.field(n, "file", path, out.file);
  d.field(n, "vars", path, out.vars);
  d.field(n, "var_files", path, out.var_files);
  d.field(n, "team", path, out.team);
  d.field(n, "instance_vars", path, out.instance_vars);
}

void decode_parallel(Decoder& d, const Node& v, const std::string& path, InParallelStep& out) {
  if (v.is_sequence()) {
    decode_plan(d, v, path, out.steps);
    return;
  }
  if (!v.is_map()) {
    d.error(v, path, "expected a list of steps or a map with 'steps', 'limit' and 'fail_fast'");
    return;
  }
  d.expect_fields(v, path, {"steps", "limit", "fail_fast"});
  if (const Node* steps = v.find("steps"); steps != nullptr && !steps->is_null())
    decode_plan(d, *steps, child_path(path, "steps"), out.steps);
  d.field(v, "limit", path, out.limit);
  d.field(v, "fail_fast", path, out.fail_fast);
}

void decode_core(Decoder& d, const Node& n, const std::string& path, std::string_view core,
                 CoreStep& out) {
  const Node& v = *n.find(core);
  std::string at = child_path(path, core);
  if (core == "get") {
    decode_get(d, n, path, out.emplace<GetStep>());
  } else if (core == "put") {
    decode_put(d, n, path, out.emplace<PutStep>());
  } else if (core == "task") {
    decode_task(d, n, path, out.emplace<TaskStep>());
  } else if (core == "set_pipeline") {
    decode_set_pipeline(d, n, path, out.emplace<SetPipelineStep>());
  } else if (core == "load_var") {
    auto& s = out.emplace<LoadVarStep>();
    d.field(n, "load_var", path, s.name);
    d.field(n, "file", path, s.file);
    d.field(n, "format", path, s.format);
    d.field(n, "reveal", path, s.reveal);
  } else if (core == "run") {
    auto& s = out.emplace<RunStep>();
    d.field(n, "run", path, s.message);
    d.field(n, "type", path, s.type);
    d.field(n, "params", path, s.params);
    d.field(n, "privileged", path, s.privileged);
  } else if (core == "try") {
    auto& s = out.emplace<TryStep>();
    s.step = StepPtr(Step{});
    decode_step(d, v, at, *s.step);
  } else if (core == "do") {
    decode_plan(d, v, at, out.emplace<DoStep>().steps);
  } else {
    decode_parallel(d, v, at, out.emplace<InParallelStep>());
  }
}

void decode_across(Decoder& d, const Node& v, const std::string& path, Across& out) {
  if (!d.expect_sequence(v, path))
    return;
  for (size_t i = 0; i < v.items().size(); ++i) {
    const Node& item = v.items()[i];
    std::string at = index_path(path, i);
    if (!d.expect_fields(item, at, {"var", "values", "max_in_flight", "fail_fast"}))
      continue;
    AcrossVar& var = out.vars.emplace_back();
    d.field(item, "var", at, var.var);
    d.field(item, "values", at, var.values);
    d.field(item, "max_in_flight", at, var.max_in_flight);
  }
}

void decode_hook(Decoder& d, const Node& n, std::string_view key, const std::string& path,
                 StepPtr& out) {
  const Node* v = n.find(key);
  if (v == nullptr || v->is_null())
    return;
  out = StepPtr(Step{});
  decode_step(d, *v, child_path(path, key), *out);
}

void decode_modifiers(Decoder& d, const Node& n, const std::string& path, Step& out) {
  d.field(n, "tags", path, out.tags);
  d.field(n, "timeout", path, out.timeout);
  d.field(n, "attempts", path, out.attempts);
  if (const Node* v = n.find("across"); v != nullptr && !v->is_null()) {
    decode_across(d, *v, child_path(path, "across"), out.across.emplace());
    d.field(n, "fail_fast", path, out.across->fail_fast);
  }
  decode_hook(d, n, "on_success", path, out.on_success);
  decode_hook(d, n, "on_failure", path, out.on_failure);
  decode_hook(d, n, "on_error", path, out.on_error);
  decode_hook(d, n, "on_abort", path, out.on_abort);
  decode_hook(d, n, "ensure", path, out.ensure);
}

}  // namespace

void decode_step(Decoder& d, const Node& n, const std::string& path, Step& out) {
  if (!d.expect_map(n, path))
    return;
  auto core = std::find_if(kCoreKeys.begin(), kCoreKeys.end(),
                           [&](std::string_view k) { return n.find(k) != nullptr; });
  if (core == kCoreKeys.end()) {
    bool modifiers = std::any_of(kModifierKeys.begin(), kModifierKeys.end(),
                                 [&](std::string_view k) { return n.find(k) != nullptr; });
    std::string message =
        modifiers ? "no core step type declared (e.g. get, put, task, etc.)" : "no step configured";
    if (n.find("aggregate") != nullptr)
      message += "; 'aggregate' was removed in Concourse 7, use 'in_parallel'";
    d.error(n, path, message);
    return;
  }
  check_keys(d, n, path, *core);
  decode_modifiers(d, n, path, out);
  decode_core(d, n, path, *core, out.core);
}

void decode_plan(Decoder& d, const Node& n, const std::string& path, std::vector<Step>& out) {
  if (!d.expect_sequence(n, path))
    return;
  out.clear();
  out.resize(n.items().size());
  for (size_t i = 0; i < n.items().size(); ++i)
    decode_step(d, n.items()[i], index_path(path, i), out[i]);
}

}  // namespace concourse::atc::config::detail
