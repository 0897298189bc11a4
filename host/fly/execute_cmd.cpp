// fly execute: runs a task config as a one-off build with local directories as its inputs
// (reference §11.1). Inputs are uploaded as tarballs, the build's events are watched like
// `fly watch`, outputs are downloaded into their directories once it ends, ^C aborts the build,
// and the exit code is the build's result.
#include <csignal>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "atc/config/parse.hpp"
#include "core/flags.hpp"
#include "fly/common.hpp"
#include "fly/execute_plan.hpp"
#include "fly/pack.hpp"
#include "fly/watch.hpp"

namespace concourse::fly {
namespace {

using nlohmann::ordered_json;
namespace config = atc::config;

std::atomic<bool> g_interrupted{false};

extern "C" void on_sigint(int) {
  g_interrupted = true;
}

struct ExecuteFlags {
  std::string config_file, team;
  std::vector<std::string> inputs, outputs, tags, vars, yaml_vars, var_files;
  bool privileged = false, include_ignored = false;
};

config::TaskConfig read_task(const ExecuteFlags& f) {
  std::ifstream in(f.config_file, std::ios::binary);
  if (!in)
    throw Failure("could not read task config " + f.config_file);
  std::stringstream text;
  text << in.rdbuf();
  config::StaticVariables vars;
  for (const auto& file : f.var_files)
    vars.load_file(file);
  for (const auto& y : f.yaml_vars)
    vars.add_yaml_var(y);
  for (const auto& v : f.vars)
    vars.add_var(v);
  config::ParseOptions o;
  o.vars = &vars;
  config::TaskConfig task;
  try {
    task = config::parse_task_config(text.str(), o);
  } catch (const std::exception& e) {
    throw Failure("invalid task configuration: " + std::string(e.what()));
  }
  auto problems = task.validate();
  if (!problems.empty()) {
    std::string msg = "invalid task configuration:";
    for (const auto& p : problems)
      msg += "\n  " + p;
    throw Failure(msg);
  }
  return task;
}

int64_t upload_input(Context& ctx, const Client& c, const std::string& team, const NamedPath& in,
                     const config::TaskConfig& task, const std::vector<std::string>& tags) {
  std::string query = "?platform=" + path_escape(task.platform);
  for (const auto& t : tags)
    query += "&tags=" + path_escape(t);
  auto started = std::chrono::steady_clock::now();
  auto resp = c.upload("/api/v1/teams/" + path_escape(team) + "/artifacts" + query,
                       "application/octet-stream",
                       [&](std::ostream& out) { pack_directory(in.path, out); });
  auto artifact = ordered_json::parse(resp.body, nullptr, false);
  if (!artifact.is_object() || !artifact.contains("id"))
    throw Failure("malformed artifact from the ATC: " + resp.body);
  if (ctx.verbose) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::steady_clock::now() - started)
                  .count();
    ctx.err << "uploaded " << in.name << " in " << ms << "ms\n";
  }
  return json_int(artifact, "id");
}

// Sends the abort once ^C was pressed; stops when the build is over.
class AbortOnInterrupt {
 public:
  AbortOnInterrupt(const Client& c, int64_t build_id) {
    g_interrupted = false;
    previous_ = std::signal(SIGINT, on_sigint);
    thread_ = std::thread([this, &c, build_id] {
      while (!done_) {
        if (g_interrupted.exchange(false)) {
          try {
            c.call(HttpRequest{
                "PUT", "/api/v1/builds/" + std::to_string(build_id) + "/abort", "", "", {}});
          } catch (const std::exception&) {
            // Nothing to do about it here: the watch still ends when the ATC ends the build.
          }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    });
  }
  ~AbortOnInterrupt() {
    done_ = true;
    thread_.join();
    std::signal(SIGINT, previous_);
  }

 private:
  std::atomic<bool> done_{false};
  void (*previous_)(int) = SIG_DFL;
  std::thread thread_;
};

void download_outputs(Context& ctx, const Client& c, const std::string& team, int64_t build_id,
                      const std::vector<NamedPath>& outputs) {
  if (outputs.empty())
    return;
  auto artifacts = expect_array(
      c.get_json("/api/v1/builds/" + std::to_string(build_id) + "/artifacts"), "artifacts");
  for (const auto& o : outputs) {
    const ordered_json* found = nullptr;
    for (const auto& a : artifacts) {
      if (json_str(a, "name") == o.name)
        found = &a;
    }
    if (found == nullptr) {
      ctx.err << "output " << o.name << " was not produced; " << o.path << " left as it is\n";
      continue;
    }
    c.download("/api/v1/teams/" + path_escape(team) + "/artifacts/" +
                   std::to_string(json_int(*found, "id")),
               [&](std::istream& in) { unpack_directory(in, o.path); });
  }
}

}  // namespace

int execute_command(Context& ctx, const std::vector<std::string>& args) {
  ExecuteFlags f;
  std::string job;
  Args a("execute");
  add_global_options(a, ctx);
  a.add_string('c', "config", &f.config_file, "The task config to execute");
  a.add_list('i', "input", &f.inputs, "An input to provide to the task (NAME=PATH)");
  a.add_list('o', "output", &f.outputs, "An output to fetch from the task (NAME=PATH)");
  a.add_bool('p', "privileged", &f.privileged, "Run the task with full privileges");
  a.add_list(0, "tag", &f.tags,
             "A tag for a specific environment (can be specified multiple times)");
  a.add_list('v', "var", &f.vars, "Specify a string value to set for a variable");
  a.add_list('y', "yaml-var", &f.yaml_vars, "Specify a YAML value to set for a variable");
  a.add_list('l', "load-vars-from", &f.var_files, "Variable flag that can be used for filling in");
  a.add_bool(0, "include-ignored", &f.include_ignored,
             "Include files ignored by git (this fly uploads every file either way)");
  a.add_string('j', "inputs-from", &job, "A job to base the inputs on (not supported yet)");
  a.add_string(0, "team", &f.team, "Name of the team to run the build in");
  a.require("config");
  expect_no_arguments(a.parse(args));
  if (!job.empty())
    throw Failure("--inputs-from is not supported by this fly yet");
  auto task = read_task(f);
  auto inputs =
      resolve_inputs(task, parse_named_paths(f.inputs, "--input"), std::filesystem::current_path());
  auto outputs = parse_named_paths(f.outputs, "--output");
  check_outputs(task, outputs);

  auto t = load_target(ctx);
  std::string team = f.team.empty() ? t.props.team : f.team;
  Client c = client_for(ctx, t);
  ExecutePlanOptions plan;
  plan.task_config = config::to_json(task);
  plan.privileged = f.privileged;
  plan.tags = f.tags;
  for (const auto& in : inputs)
    plan.inputs.push_back({in.name, upload_input(ctx, c, team, in, task, f.tags)});
  for (const auto& o : outputs)
    plan.outputs.push_back(o.name);
  auto resp = c.call(HttpRequest{"POST",
                                 "/api/v1/teams/" + path_escape(team) + "/builds",
                                 execute_plan(plan).dump(),
                                 "application/json",
                                 {}});
  auto build = ordered_json::parse(resp.body);
  int64_t id = json_int(build, "id");
  ctx.out << "executing build " << id << " at " << c.url() << "/builds/" << id << "\n";
  int rc;
  {
    AbortOnInterrupt guard(c, id);
    rc = watch_build(ctx, c, id);
  }
  download_outputs(ctx, c, team, id, outputs);
  return rc;
}

}  // namespace concourse::fly
