// fly get-pipeline, pipelines, pause/unpause-pipeline, expose/hide-pipeline, rename-pipeline and
// destroy-pipeline.
#include <yaml-cpp/yaml.h>

#include <ostream>

#include "core/flags.hpp"
#include "fly/common.hpp"
#include "fly/table.hpp"

namespace concourse::fly {
namespace {

using nlohmann::ordered_json;

struct PipelineFlags {
  std::string pipeline, team;
  bool non_interactive = false;
};

// Parses -p/--team (and -n when asked) and returns the pipeline's API path.
std::string pipeline_args(Context& ctx, const std::string& verb,
                          const std::vector<std::string>& args, PipelineFlags& f,
                          LoadedTarget& target, bool with_n = false) {
  Args a(verb);
  add_global_options(a, ctx);
  a.add_string('p', "pipeline", &f.pipeline, "Pipeline");
  a.add_string(0, "team", &f.team, "Name of the team to which the pipeline belongs");
  if (with_n)
    a.add_bool('n', "non-interactive", &f.non_interactive, "Destroy without confirming");
  a.require("pipeline");
  expect_no_arguments(a.parse(args));
  target = load_target(ctx);
  if (f.team.empty())
    f.team = target.props.team;
  return pipeline_path(f.team, f.pipeline);
}

int put_verb(Context& ctx, const std::string& verb, const std::vector<std::string>& args,
             const char* action, const std::string& done) {
  PipelineFlags f;
  LoadedTarget t;
  std::string path = pipeline_args(ctx, verb, args, f, t);
  try {
    client_for(ctx, t).call(HttpRequest{"PUT", path + "/" + action, "", "", {}});
  } catch (const UnexpectedResponse& e) {
    if (e.response().status == 404)
      throw Failure("pipeline '" + f.pipeline + "' not found");
    throw;
  }
  ctx.out << done << " '" << f.pipeline << "'\n";
  return 0;
}

YAML::Node to_yaml(const ordered_json& j) {
  if (j.is_object()) {
    YAML::Node n(YAML::NodeType::Map);
    for (const auto& [k, v] : j.items())
      n[k] = to_yaml(v);
    return n;
  }
  if (j.is_array()) {
    YAML::Node n(YAML::NodeType::Sequence);
    for (const auto& v : j)
      n.push_back(to_yaml(v));
    return n;
  }
  if (j.is_string())
    return YAML::Node(j.get<std::string>());
  if (j.is_null())
    return YAML::Node(YAML::NodeType::Null);
  return YAML::Node(YAML::Load(j.dump()));
}

std::string yes_no(const ordered_json& j, const char* key) {
  return j.value(key, false) ? "yes" : "no";
}

}  // namespace

int get_pipeline_command(Context& ctx, const std::vector<std::string>& args) {
  std::string pipeline, team;
  bool as_json = false;
  Args a("get-pipeline");
  add_global_options(a, ctx);
  a.add_string('p', "pipeline", &pipeline, "Get configuration of this pipeline");
  a.add_string(0, "team", &team, "Name of the team to which the pipeline belongs");
  a.add_bool('j', "json", &as_json, "Print config as json instead of yaml");
  a.require("pipeline");
  expect_no_arguments(a.parse(args));
  auto t = load_target(ctx);
  auto cfg = client_for(ctx, t)
                 .get_json(pipeline_path(team.empty() ? t.props.team : team, pipeline) + "/config")
                 .value("config", ordered_json::object());
  if (as_json) {
    print_json(ctx.out, cfg);
    return 0;
  }
  YAML::Emitter e;
  e << to_yaml(cfg);
  ctx.out << e.c_str() << "\n";
  return 0;
}

int pipelines_command(Context& ctx, const std::vector<std::string>& args) {
  bool all = false, as_json = false;
  Args a("pipelines");
  add_global_options(a, ctx);
  a.add_bool('a', "all", &all, "Show pipelines across all teams");
  a.add_bool(0, "json", &as_json, "Print command result as JSON");
  expect_no_arguments(a.parse(args));
  auto t = load_target(ctx);
  Client c = client_for(ctx, t);
  auto list =
      expect_array(c.get_json(all ? "/api/v1/pipelines"
                                  : "/api/v1/teams/" + path_escape(t.props.team) + "/pipelines"),
                   "pipelines");
  if (as_json) {
    print_json(ctx.out, list);
    return 0;
  }
  Table table;
  table.headers = all ? header_row({"id", "team", "name", "paused", "public", "last updated"})
                      : header_row({"id", "name", "paused", "public", "last updated"});
  for (const auto& p : list) {
    Row row{{std::to_string(json_int(p, "id"))}};
    if (all)
      row.push_back({json_str(p, "team_name")});
    row.push_back({json_str(p, "name")});
    row.push_back({yes_no(p, "paused")});
    row.push_back({yes_no(p, "public")});
    row.push_back(or_none(
        json_int(p, "last_updated") > 0 ? std::to_string(json_int(p, "last_updated")) : ""));
    table.rows.push_back(row);
  }
  table.render(ctx.out, ctx.print_table_headers || ctx.out_is_tty, ctx.out_is_tty);
  return 0;
}

int pause_pipeline_command(Context& ctx, const std::vector<std::string>& args) {
  return put_verb(ctx, "pause-pipeline", args, "pause", "paused");
}

int unpause_pipeline_command(Context& ctx, const std::vector<std::string>& args) {
  return put_verb(ctx, "unpause-pipeline", args, "unpause", "unpaused");
}

int expose_pipeline_command(Context& ctx, const std::vector<std::string>& args) {
  return put_verb(ctx, "expose-pipeline", args, "expose", "exposed");
}

int hide_pipeline_command(Context& ctx, const std::vector<std::string>& args) {
  return put_verb(ctx, "hide-pipeline", args, "hide", "hid");
}

int destroy_pipeline_command(Context& ctx, const std::vector<std::string>& args) {
  PipelineFlags f;
  LoadedTarget t;
  std::string path = pipeline_args(ctx, "destroy-pipeline", args, f, t, true);
  ctx.out << "!!! this will remove all data for pipeline `" << f.pipeline << "`\n\n";
  if (!f.non_interactive && !confirm(ctx, "are you sure?")) {
    ctx.out << "bailing out\n";
    return 0;
  }
  HttpResponse r = client_for(ctx, t).send(HttpRequest{"DELETE", path, "", "", {}});
  if (r.status == 404) {
    ctx.out << "`" << f.pipeline << "` does not exist\n";
    return 0;
  }
  if (r.status == 401)
    throw Unauthorized();
  if (r.status < 200 || r.status >= 300)
    throw Failure("unexpected response: " + std::to_string(r.status) + " " + r.reason);
  ctx.out << "`" << f.pipeline << "` deleted\n";
  return 0;
}

int rename_pipeline_command(Context& ctx, const std::vector<std::string>& args) {
  std::string old_name, new_name, team;
  Args a("rename-pipeline");
  add_global_options(a, ctx);
  a.add_string('o', "old-name", &old_name, "Pipeline to rename");
  a.add_string('n', "new-name", &new_name, "Name to set as pipeline name");
  a.add_string(0, "team", &team, "Name of the team to which the pipeline belongs");
  a.require("old-name");
  a.require("new-name");
  expect_no_arguments(a.parse(args));
  auto t = load_target(ctx);
  std::string path = pipeline_path(team.empty() ? t.props.team : team, old_name) + "/rename";
  client_for(ctx, t).call(
      HttpRequest{"PUT", path, ordered_json{{"name", new_name}}.dump(), "application/json", {}});
  ctx.out << "pipeline successfully renamed to '" << new_name << "'\n";
  return 0;
}

}  // namespace concourse::fly
