// fly resources, resource-versions and check-resource.
#include <ostream>

#include "core/flags.hpp"
#include "fly/common.hpp"
#include "fly/table.hpp"

namespace concourse::fly {
namespace {

using nlohmann::ordered_json;

std::string version_text(const ordered_json& v) {
  std::string out;
  if (!v.is_object())
    return out;
  for (const auto& [k, val] : v.items())
    out += (out.empty() ? "" : ",") + k + ":" +
           (val.is_string() ? val.get<std::string>() : val.dump());
  return out;
}

struct ResourceFlag {
  std::string team, pipeline, resource;
  std::string path(const LoadedTarget& t) const {
    return pipeline_path(team.empty() ? t.props.team : team, pipeline) + "/resources/" +
           path_escape(resource);
  }
};

}  // namespace

int resources_command(Context& ctx, const std::vector<std::string>& args) {
  std::string pipeline, team;
  bool as_json = false;
  Args a("resources");
  add_global_options(a, ctx);
  a.add_string('p', "pipeline", &pipeline, "Get resources in this pipeline");
  a.add_string(0, "team", &team, "Name of the team to which the pipeline belongs");
  a.add_bool(0, "json", &as_json, "Print command result as JSON");
  a.require("pipeline");
  expect_no_arguments(a.parse(args));
  auto t = load_target(ctx);
  auto list =
      expect_array(client_for(ctx, t).get_json(
                       pipeline_path(team.empty() ? t.props.team : team, pipeline) + "/resources"),
                   "resources");
  if (as_json) {
    print_json(ctx.out, list);
    return 0;
  }
  Table table;
  table.headers = header_row({"name", "type", "pinned", "check status"});
  for (const auto& r : list) {
    std::string check = json_str(r, "check_error").empty()
                            ? (json_int(r, "last_checked") > 0 ? "ok" : "")
                            : "errored";
    table.rows.push_back(Row{{json_str(r, "name")},
                             {json_str(r, "type")},
                             or_none(version_text(r.value("pinned_version", ordered_json()))),
                             or_default(check, "n/a")});
  }
  table.render(ctx.out, ctx.print_table_headers || ctx.out_is_tty, ctx.out_is_tty);
  return 0;
}

int resource_versions_command(Context& ctx, const std::vector<std::string>& args) {
  std::string flag, team, count = "50";
  bool as_json = false;
  Args a("resource-versions");
  add_global_options(a, ctx);
  a.add_string('r', "resource", &flag, "Name of a resource to get versions for (PIPELINE/RES)");
  a.add_string('c', "count", &count, "Number of versions you want to limit the return to");
  a.add_string(0, "team", &team, "Name of the team to which the pipeline belongs");
  a.add_bool(0, "json", &as_json, "Print command result as JSON");
  a.require("resource");
  expect_no_arguments(a.parse(args));
  auto [pipeline, resource] = split_flag(flag, "--resource");
  auto t = load_target(ctx);
  ResourceFlag rf{team, pipeline, resource};
  auto list = expect_array(client_for(ctx, t).get_json(rf.path(t) + "/versions?limit=" + count),
                           "versions");
  if (as_json) {
    print_json(ctx.out, list);
    return 0;
  }
  Table table;
  table.headers = header_row({"id", "version", "enabled"});
  for (const auto& v : list) {
    table.rows.push_back(Row{{std::to_string(json_int(v, "id"))},
                             {version_text(v.value("version", ordered_json()))},
                             {v.value("enabled", true) ? "yes" : "no"}});
  }
  table.render(ctx.out, ctx.print_table_headers || ctx.out_is_tty, ctx.out_is_tty);
  return 0;
}

// The ATC queues the check for its checker; fly reports the queued request rather than a
// result it does not have.
int check_resource_command(Context& ctx, const std::vector<std::string>& args) {
  std::string flag, team, from;
  Args a("check-resource");
  add_global_options(a, ctx);
  a.add_string('r', "resource", &flag, "Name of a resource to check (PIPELINE/RESOURCE)");
  a.add_string('f', "from", &from, "Version of the resource to check from, e.g. ref:abcd");
  a.add_string(0, "team", &team, "Name of the team to which the pipeline belongs");
  a.require("resource");
  expect_no_arguments(a.parse(args));
  auto [pipeline, resource] = split_flag(flag, "--resource");
  auto t = load_target(ctx);
  ordered_json body = ordered_json::object();
  if (!from.empty()) {
    auto colon = from.find(':');
    if (colon == std::string::npos)
      throw core::UsageError("invalid argument for flag `--from': expected KEY:VALUE");
    body["from"] = {{from.substr(0, colon), from.substr(colon + 1)}};
  }
  ResourceFlag rf{team, pipeline, resource};
  auto resp = client_for(ctx, t).call(
      HttpRequest{"POST", rf.path(t) + "/check", body.dump(), "application/json", {}});
  auto check = ordered_json::parse(resp.body);
  ctx.out << "checking " << flag << ": queued as check request " << json_int(check, "id") << "\n";
  return 0;
}

}  // namespace concourse::fly
