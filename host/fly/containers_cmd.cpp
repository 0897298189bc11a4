// fly containers, fly volumes.
#include <algorithm>
#include <ostream>

#include "fly/common.hpp"
#include "fly/table.hpp"

namespace concourse::fly {
namespace {

using Json = nlohmann::ordered_json;

std::string scalar_text(const Json& v) {
  return v.is_string() ? v.get<std::string>() : v.dump();
}

// atc.PipelineRef.String(): "name" or "name/k:v,k2:v2" for instanced pipelines.
std::string pipeline_ref(const Json& c) {
  std::string name = json_str(c, "pipeline_name");
  auto it = c.find("pipeline_instance_vars");
  if (name.empty() || it == c.end() || !it->is_object() || it->empty())
    return name;
  std::string vars;
  for (const auto& [k, v] : it->items())
    vars += (vars.empty() ? "" : ",") + k + ":" + scalar_text(v);
  return name + "/" + vars;
}

// fly's presentMap: the value as YAML lines joined by ',' with spaces dropped, keys sorted.
std::string present_map(const Json& value) {
  if (!value.is_object())
    return value.is_null() ? "null" : scalar_text(value);
  nlohmann::json sorted = nlohmann::json::parse(value.dump());
  std::string out;
  for (const auto& [k, v] : sorted.items()) {
    std::string text = v.is_string() ? v.get<std::string>() : v.dump();
    out += (out.empty() ? "" : ",") + k + ":" + text;
  }
  out.erase(std::remove(out.begin(), out.end(), ' '), out.end());
  return out;
}

std::string present_resource_type(const Json& rt) {
  if (!rt.is_object())
    return "";
  if (auto b = rt.find("base_resource_type"); b != rt.end() && b->is_object())
    return present_map(*b);
  if (auto inner = rt.find("resource_type"); inner != rt.end() && inner->is_object()) {
    Json version = rt.contains("version") ? rt["version"] : Json();
    return "type:resource(" + present_resource_type(*inner) + "),version:" + present_map(version);
  }
  return "";
}

Json member(const Json& j, const char* key) {
  auto it = j.find(key);
  return it == j.end() ? Json() : *it;
}

std::string volume_identifier(const Json& v, bool details) {
  std::string type = json_str(v, "type");
  if (type == "container") {
    if (!details)
      return json_str(v, "container_handle");
    std::string id =
        "container:" + json_str(v, "container_handle") + ",path:" + json_str(v, "path");
    if (std::string parent = json_str(v, "parent_handle"); !parent.empty())
      id += ",parent:" + parent;
    return id;
  }
  if (type == "task-cache")
    return json_str(v, "pipeline_name") + "/" + json_str(v, "job_name") + "/" +
           json_str(v, "step_name");
  if (type == "resource") {
    Json rt = member(v, "resource_type");
    return details ? present_resource_type(rt) : present_map(member(rt, "version"));
  }
  if (type == "resource-type") {
    Json base = member(v, "base_resource_type");
    return details ? present_map(base) : json_str(base, "name");
  }
  return "n/a";
}

Row container_row(const Json& c) {
  int64_t build_id = json_int(c, "build_id");
  Cell build = build_id == 0 ? Cell{"none", Style::faint} : Cell{std::to_string(build_id)};
  return Row{Cell{json_str(c, "id")},
             Cell{json_str(c, "worker_name")},
             or_none(pipeline_ref(c)),
             or_none(json_str(c, "job_name")),
             or_none(json_str(c, "build_name")),
             build,
             Cell{json_str(c, "type")},
             or_none(json_str(c, "step_name") + json_str(c, "resource_name")),
             or_default(json_str(c, "attempt"), "n/a")};
}

}  // namespace

int containers_command(Context& ctx, const std::vector<std::string>& args) {
  bool json = false;
  std::string team;
  Args a("containers");
  add_global_options(a, ctx);
  a.add_bool(0, "json", &json, "Print command result as JSON");
  a.add_string(0, "team", &team,
               "Name of the team to which the containers belong, if different from the target "
               "default");
  expect_no_arguments(a.parse(args));
  auto target = load_target(ctx);
  if (team.empty())
    team = target.props.team;
  auto body = expect_array(
      client_for(ctx, target).get_json("/api/v1/teams/" + path_escape(team) + "/containers"),
      "container list");
  if (json) {
    print_json(ctx.out, body);
    return 0;
  }
  Table t;
  t.headers = header_row(
      {"handle", "worker", "pipeline", "job", "build #", "build id", "type", "name", "attempt"});
  for (const auto& c : body)
    t.rows.push_back(container_row(c));
  t.sort_by_first_column();
  t.render(ctx.out, ctx.print_table_headers, ctx.out_is_tty);
  return 0;
}

int volumes_command(Context& ctx, const std::vector<std::string>& args) {
  bool json = false, details = false;
  Args a("volumes");
  add_global_options(a, ctx);
  a.add_bool('d', "details", &details, "Print additional information for each volume");
  a.add_bool(0, "json", &json, "Print command result as JSON");
  expect_no_arguments(a.parse(args));
  auto target = load_target(ctx);
  auto body =
      expect_array(client_for(ctx, target)
                       .get_json("/api/v1/teams/" + path_escape(target.props.team) + "/volumes"),
                   "volume list");
  if (json) {
    print_json(ctx.out, body);
    return 0;
  }
  std::vector<Json> volumes(body.begin(), body.end());
  std::stable_sort(volumes.begin(), volumes.end(), [](const Json& x, const Json& y) {
    auto kx = std::make_pair(json_str(x, "worker_name"), json_str(x, "id"));
    auto ky = std::make_pair(json_str(y, "worker_name"), json_str(y, "id"));
    return kx < ky;
  });
  Table t;
  t.headers = header_row({"handle", "worker", "type", "identifier"});
  for (const auto& v : volumes) {
    t.rows.push_back(Row{Cell{json_str(v, "id")}, Cell{json_str(v, "worker_name")},
                         Cell{json_str(v, "type")}, Cell{volume_identifier(v, details)}});
  }
  t.render(ctx.out, ctx.print_table_headers, ctx.out_is_tty);
  return 0;
}

}  // namespace concourse::fly
