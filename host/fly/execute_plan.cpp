#include "fly/execute_plan.hpp"

#include <algorithm>

#include "core/flags.hpp"
#include "fly/fly.hpp"

namespace concourse::fly {
namespace {

using nlohmann::json;

// Plan ids only need to be unique within the build; fly numbers them in creation order.
class Ids {
 public:
  std::string next() { return std::to_string(++n_); }

 private:
  int n_ = 0;
};

json in_parallel(Ids& ids, json steps) {
  return json{{"id", ids.next()}, {"in_parallel", {{"steps", std::move(steps)}}}};
}

}  // namespace

std::vector<NamedPath> parse_named_paths(const std::vector<std::string>& values,
                                         const std::string& flag) {
  std::vector<NamedPath> out;
  for (const auto& v : values) {
    auto eq = v.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == v.size())
      throw core::UsageError("invalid argument for flag `" + flag + "': expected NAME=PATH, got '" +
                             v + "'");
    out.push_back({v.substr(0, eq), v.substr(eq + 1)});
  }
  return out;
}

std::vector<NamedPath> resolve_inputs(const atc::config::TaskConfig& task,
                                      const std::vector<NamedPath>& given, const std::string& cwd) {
  for (const auto& g : given) {
    bool known = std::any_of(task.inputs.begin(), task.inputs.end(),
                             [&](const auto& in) { return in.name == g.name; });
    if (!known)
      throw Failure("unknown input `" + g.name + "`");
  }
  if (given.empty() && task.inputs.size() == 1)
    return {NamedPath{task.inputs[0].name, cwd}};
  for (const auto& in : task.inputs) {
    bool have =
        std::any_of(given.begin(), given.end(), [&](const auto& g) { return g.name == in.name; });
    if (!have && !in.optional)
      throw Failure("missing required input `" + in.name + "`");
  }
  return given;
}

void check_outputs(const atc::config::TaskConfig& task, const std::vector<NamedPath>& outputs) {
  for (const auto& o : outputs) {
    bool known = std::any_of(task.outputs.begin(), task.outputs.end(),
                             [&](const auto& out) { return out.name == o.name; });
    if (!known)
      throw Failure("unknown output `" + o.name + "`");
  }
}

json execute_plan(const ExecutePlanOptions& o) {
  Ids ids;
  json inputs = json::array();
  for (const auto& in : o.inputs) {
    inputs.push_back({{"id", ids.next()},
                      {"artifact_input", {{"artifact_id", in.artifact_id}, {"name", in.name}}}});
  }
  json task{{"name", "one-off"}, {"privileged", o.privileged}, {"config", o.task_config}};
  if (!o.tags.empty())
    task["tags"] = o.tags;
  json task_plan{{"id", ids.next()}, {"task", task}};
  json outputs = json::array();
  for (const auto& name : o.outputs)
    outputs.push_back({{"id", ids.next()}, {"artifact_output", {{"name", name}}}});
  json steps = json::array();
  steps.push_back(in_parallel(ids, std::move(inputs)));
  steps.push_back(
      {{"id", ids.next()}, {"ensure", {{"step", task_plan}, {"next", in_parallel(ids, outputs)}}}});
  return json{{"id", ids.next()}, {"do", steps}};
}

}  // namespace concourse::fly
