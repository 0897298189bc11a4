// fly set-pipeline, validate-pipeline, get-pipeline, pipelines, and the pause/unpause,
// expose/hide, rename and destroy verbs. Vars are substituted here, as fly does, and the
// pipeline is uploaded in Concourse's JSON form.
#include <fstream>
#include <iostream>
#include <ostream>
#include <sstream>

#include "atc/config/parse.hpp"
#include "atc/config/validate.hpp"
#include "core/flags.hpp"
#include "fly/common.hpp"
#include "fly/line_diff.hpp"
#include "fly/table.hpp"

namespace concourse::fly {
namespace {

using nlohmann::ordered_json;

std::string read_config(const std::string& path) {
  if (path == "-") {
    std::stringstream ss;
    ss << std::cin.rdbuf();
    return ss.str();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw Failure("could not read config file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct VarFlags {
  std::vector<std::string> vars, yaml_vars, files;

  void add_to(Args& a) {
    a.add_list('v', "var", &vars, "Specify a string value to set for a variable");
    a.add_list('y', "yaml-var", &yaml_vars, "Specify a YAML value to set for a variable");
    a.add_list('l', "load-vars-from", &files, "Variable flag that can be used for filling in");
  }
  atc::config::StaticVariables load() const {
    atc::config::StaticVariables v;
    for (const auto& f : files)
      v.load_file(f);
    for (const auto& y : yaml_vars)
      v.add_yaml_var(y);
    for (const auto& s : vars)
      v.add_var(s);
    return v;
  }
};

// Errors as fly prints them under "error: invalid pipeline config:".
[[noreturn]] void fail_with(Context& ctx, const std::vector<std::string>& errors) {
  ctx.err << "error: invalid pipeline config:\n";
  for (const auto& e : errors)
    ctx.err << "  - " << e << "\n";
  throw Failure("configuration invalid");
}

atc::config::Pipeline parse_checked(Context& ctx, const std::string& text,
                                    const atc::config::Variables* vars) {
  try {
    atc::config::ParseOptions o;
    o.vars = vars;
    return atc::config::parse_pipeline(text, o);
  } catch (const atc::config::ParseError& e) {
    std::vector<std::string> errors;
    for (const auto& err : e.errors())
      errors.push_back(err.to_string());
    fail_with(ctx, errors);
  }
}

void print_warnings(Context& ctx, const ordered_json& warnings) {
  if (!warnings.is_array() || warnings.empty())
    return;
  ctx.err << "WARNING:\n";
  for (const auto& w : warnings)
    ctx.err << "  - " << json_str(w, "message") << "\n";
  ctx.err << "\n";
}

struct Current {
  bool exists = false;
  std::string version;
  ordered_json config;
};

Current fetch_current(const Client& c, const std::string& path) {
  HttpResponse r = c.send(HttpRequest{"GET", path + "/config", "", "", {}});
  if (r.status == 404)
    return {};
  if (r.status == 401)
    throw Unauthorized();
  if (r.status != 200)
    throw Failure("unexpected response: " + std::to_string(r.status) + " " + r.reason);
  return Current{true, r.header("X-Concourse-Config-Version"),
                 ordered_json::parse(r.body).value("config", ordered_json::object())};
}

void print_created(Context& ctx, const LoadedTarget& t, const std::string& name, bool created) {
  if (!created) {
    ctx.out << "configuration updated\n";
    return;
  }
  ctx.out << "pipeline created!\n"
          << "you can view your pipeline here: " << t.props.api << "/teams/" << t.props.team
          << "/pipelines/" << name << "\n\n"
          << "the pipeline is currently paused. to unpause, either:\n"
          << "  - run the unpause-pipeline command:\n"
          << "    fly -t " << t.name << " unpause-pipeline -p " << name << "\n"
          << "  - click play next to the pipeline in the web ui\n";
}

}  // namespace

int set_pipeline_command(Context& ctx, const std::vector<std::string>& args) {
  std::string pipeline, file, team;
  bool non_interactive = false, dry_run = false;
  VarFlags vf;
  Args a("set-pipeline");
  add_global_options(a, ctx);
  a.add_string('p', "pipeline", &pipeline, "Pipeline to configure");
  a.add_string('c', "config", &file, "Pipeline configuration file, \"-\" stands for stdin");
  a.add_bool('n', "non-interactive", &non_interactive, "Skips interactions, uses default values");
  a.add_bool('d', "dry-run", &dry_run, "Show diff and exit without applying");
  a.add_string(0, "team", &team, "Name of the team to which the pipeline belongs");
  vf.add_to(a);
  a.require("pipeline");
  a.require("config");
  expect_no_arguments(a.parse(args));
  auto vars = vf.load();
  auto parsed = parse_checked(ctx, read_config(file), &vars);
  ordered_json upload = ordered_json::parse(atc::config::to_json(parsed).dump());

  auto target = load_target(ctx);
  if (team.empty())
    team = target.props.team;
  Client c = client_for(ctx, target);
  std::string path = pipeline_path(team, pipeline);
  Current cur = fetch_current(c, path);
  print_line_diff(ctx.out, cur.exists ? cur.config.dump(2) : "", upload.dump(2), ctx.out_is_tty);
  if (dry_run) {
    ctx.out << "dry run: no changes applied\n";
    return 0;
  }
  if (!non_interactive && !confirm(ctx, "apply configuration?")) {
    ctx.out << "bailing out\n";
    return 0;
  }
  HttpRequest put{"PUT", path + "/config", upload.dump(), "application/json", {}};
  if (cur.exists)
    put.headers.emplace_back("X-Concourse-Config-Version", cur.version);
  HttpResponse r = c.send(put);
  if (r.status == 400) {
    std::vector<std::string> errors;
    for (const auto& e : ordered_json::parse(r.body).value("errors", ordered_json::array()))
      errors.push_back(e.is_string() ? e.get<std::string>() : e.dump());
    fail_with(ctx, errors);
  }
  if (r.status == 409)
    throw Failure("pipeline has been modified since the diff was shown; run set-pipeline again");
  if (r.status == 401)
    throw Unauthorized();
  if (r.status != 200 && r.status != 201)
    throw Failure("unexpected response: " + std::to_string(r.status) + " " + r.reason + ": " +
                  r.body);
  print_warnings(ctx, ordered_json::parse(r.body).value("warnings", ordered_json::array()));
  print_created(ctx, target, pipeline, r.status == 201);
  return 0;
}

int validate_pipeline_command(Context& ctx, const std::vector<std::string>& args) {
  std::string file;
  bool strict = false, output = false;
  VarFlags vf;
  Args a("validate-pipeline");
  add_global_options(a, ctx);
  a.add_string('c', "config", &file, "Pipeline configuration file");
  a.add_bool('s', "strict", &strict, "Fail on warnings");
  a.add_bool('o', "output", &output, "Output templated pipeline to stdout");
  vf.add_to(a);
  a.require("config");
  expect_no_arguments(a.parse(args));
  auto vars = vf.load();
  auto pipeline = parse_checked(ctx, read_config(file), &vars);
  auto result = atc::config::validate(pipeline);
  if (!result.warnings.empty()) {
    ctx.err << "WARNING:\n";
    for (const auto& w : result.warnings)
      ctx.err << "  - " << w.message << "\n";
  }
  if (!result.ok())
    fail_with(ctx, result.errors);
  if (strict && !result.warnings.empty())
    throw Failure("configuration invalid");
  if (output)
    print_json(ctx.out, ordered_json::parse(atc::config::to_json(pipeline).dump()));
  else
    ctx.out << "looks good\n";
  return 0;
}

}  // namespace concourse::fly
