// fly jobs, trigger-job, watch, builds and abort-build. watch reads the build's server-sent
// events as they arrive and renders them as fly's eventstream does; its exit code is the
// build's result (0 succeeded, 1 failed, 2 errored, 3 aborted).
#include <algorithm>
#include <ctime>
#include <ostream>

#include "core/flags.hpp"
#include "fly/common.hpp"
#include "fly/table.hpp"
#include "fly/watch.hpp"

namespace concourse::fly {
namespace {

using nlohmann::ordered_json;

const char* paint(bool tty, const char* code) {
  return tty ? code : "";
}

int exit_code_for(const std::string& status) {
  if (status == "succeeded")
    return 0;
  if (status == "failed")
    return 1;
  if (status == "aborted")
    return 3;
  return 2;
}

class EventRenderer {
 public:
  explicit EventRenderer(Context& ctx) : ctx_(ctx) {}

  void render(const std::string& type, const ordered_json& data) {
    bool tty = ctx_.out_is_tty;
    if (type == "log") {
      ctx_.out << json_str(data, "payload") << std::flush;
    } else if (type == "selected-worker") {
      ctx_.out << "selected worker: " << json_str(data, "selected_worker") << "\n";
    } else if (type == "initialize-task") {
      ctx_.out << paint(tty, "\x1b[1m") << "initializing" << paint(tty, "\x1b[0m") << "\n";
    } else if (type == "start-task") {
      render_start_task(data);
    } else if (type == "error") {
      ctx_.out << paint(tty, "\x1b[31m") << json_str(data, "message") << paint(tty, "\x1b[0m")
               << "\n";
    } else if (type == "status") {
      render_status(json_str(data, "status"));
    }
    ctx_.out.flush();
  }

  const std::string& final_status() const { return status_; }

 private:
  void render_start_task(const ordered_json& data) {
    auto cfg = data.value("config", ordered_json::object());
    auto run = cfg.value("run", ordered_json::object());
    std::string argv = json_str(run, "path");
    for (const auto& a : run.value("args", ordered_json::array()))
      argv += " " + (a.is_string() ? a.get<std::string>() : a.dump());
    bool tty = ctx_.out_is_tty;
    if (!argv.empty())
      ctx_.out << paint(tty, "\x1b[1m") << "running " << argv << paint(tty, "\x1b[0m") << "\n";
  }

  void render_status(const std::string& status) {
    if (status == "started" || status == "pending" || status.empty())
      return;
    status_ = status;
    const char* color = status == "succeeded" ? "\x1b[32m"
                        : status == "failed"  ? "\x1b[31m"
                        : status == "errored" ? "\x1b[35m"
                                              : "\x1b[33m";
    ctx_.out << paint(ctx_.out_is_tty, color) << status << paint(ctx_.out_is_tty, "\x1b[0m")
             << "\n";
  }

  Context& ctx_;
  std::string status_;
};

// An SSE field's value: after the "name:" prefix and one optional space.
std::string field_value(const std::string& line, size_t prefix) {
  if (line.size() > prefix && line[prefix] == ' ')
    ++prefix;
  return line.substr(std::min(prefix, line.size()));
}

}  // namespace

int watch_build(Context& ctx, const Client& c, int64_t build_id) {
  EventRenderer renderer(ctx);
  std::string event, data;
  c.stream_lines(
      "/api/v1/builds/" + std::to_string(build_id) + "/events", [&](const std::string& line) {
        if (line.rfind("event:", 0) == 0) {
          event = field_value(line, 6);
        } else if (line.rfind("data:", 0) == 0) {
          data += field_value(line, 5);
        } else if (line.empty()) {
          if (event == "end")
            return false;
          if (event == "event" && !data.empty()) {
            auto env = ordered_json::parse(data, nullptr, false);
            if (!env.is_discarded())
              renderer.render(json_str(env, "event"), env.value("data", ordered_json::object()));
          }
          event.clear();
          data.clear();
        }
        return true;
      });
  std::string status = renderer.final_status();
  if (status.empty())
    status = json_str(c.get_json("/api/v1/builds/" + std::to_string(build_id)), "status");
  return exit_code_for(status);
}

namespace {

std::string job_path(const std::string& team, const std::string& flag_value) {
  auto [pipeline, job] = split_flag(flag_value, "--job");
  return pipeline_path(team, pipeline) + "/jobs/" + path_escape(job);
}

std::string format_time(int64_t unix) {
  if (unix == 0)
    return "";
  std::time_t t = static_cast<std::time_t>(unix);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d@%H:%M:%S%z", std::localtime(&t));
  return buf;
}

std::string duration_of(const ordered_json& b) {
  int64_t start = json_int(b, "start_time"), end = json_int(b, "end_time");
  if (start == 0 || end == 0)
    return "";
  int64_t s = end - start;
  return std::to_string(s / 3600) + "h" + std::to_string(s / 60 % 60) + "m" +
         std::to_string(s % 60) + "s";
}

Row build_row(const ordered_json& b) {
  std::string job = json_str(b, "job_name");
  std::string name = job.empty() ? "one-off" : json_str(b, "pipeline_name") + "/" + job;
  return Row{{std::to_string(json_int(b, "id"))},
             {name},
             {json_str(b, "name")},
             {json_str(b, "status")},
             or_none(format_time(json_int(b, "start_time"))),
             or_none(format_time(json_int(b, "end_time"))),
             or_none(duration_of(b)),
             {json_str(b, "team_name")}};
}

}  // namespace

int jobs_command(Context& ctx, const std::vector<std::string>& args) {
  std::string pipeline, team;
  bool as_json = false;
  Args a("jobs");
  add_global_options(a, ctx);
  a.add_string('p', "pipeline", &pipeline, "Get jobs in this pipeline");
  a.add_string(0, "team", &team, "Name of the team to which the pipeline belongs");
  a.add_bool(0, "json", &as_json, "Print command result as JSON");
  a.require("pipeline");
  expect_no_arguments(a.parse(args));
  auto t = load_target(ctx);
  auto jobs =
      expect_array(client_for(ctx, t).get_json(
                       pipeline_path(team.empty() ? t.props.team : team, pipeline) + "/jobs"),
                   "jobs");
  if (as_json) {
    print_json(ctx.out, jobs);
    return 0;
  }
  Table table;
  table.headers = header_row({"name", "paused", "status", "next"});
  for (const auto& j : jobs) {
    auto finished = j.value("finished_build", ordered_json());
    auto next = j.value("next_build", ordered_json());
    table.rows.push_back(
        Row{{json_str(j, "name")},
            {j.value("paused", false) ? "yes" : "no"},
            or_default(finished.is_object() ? json_str(finished, "status") : "", "n/a"),
            or_default(next.is_object() ? json_str(next, "status") : "", "n/a")});
  }
  table.render(ctx.out, ctx.print_table_headers || ctx.out_is_tty, ctx.out_is_tty);
  return 0;
}

int trigger_job_command(Context& ctx, const std::vector<std::string>& args) {
  std::string job, team;
  bool watch = false;
  Args a("trigger-job");
  add_global_options(a, ctx);
  a.add_string('j', "job", &job, "Name of a job to trigger (PIPELINE/JOB)");
  a.add_bool('w', "watch", &watch, "Start watching the build output");
  a.add_string(0, "team", &team, "Name of the team to which the pipeline belongs");
  a.require("job");
  expect_no_arguments(a.parse(args));
  auto t = load_target(ctx);
  Client c = client_for(ctx, t);
  auto resp = c.call(HttpRequest{
      "POST", job_path(team.empty() ? t.props.team : team, job) + "/builds", "", "", {}});
  auto build = ordered_json::parse(resp.body);
  ctx.out << "started " << job << " #" << json_str(build, "name") << "\n";
  if (!watch)
    return 0;
  ctx.out << "\n";
  return watch_build(ctx, c, json_int(build, "id"));
}

int watch_command(Context& ctx, const std::vector<std::string>& args) {
  std::string job, build, team;
  Args a("watch");
  add_global_options(a, ctx);
  a.add_string('j', "job", &job, "Watches builds of the given job (PIPELINE/JOB)");
  a.add_string('b', "build", &build, "Watches a specific build (an ID, or a name with -j)");
  a.add_string(0, "team", &team, "Name of the team to which the pipeline belongs");
  expect_no_arguments(a.parse(args));
  auto t = load_target(ctx);
  Client c = client_for(ctx, t);
  int64_t id = 0;
  if (!job.empty()) {
    std::string path = job_path(team.empty() ? t.props.team : team, job);
    ordered_json b;
    if (!build.empty()) {
      b = c.get_json(path + "/builds/" + path_escape(build));
    } else {
      auto j = c.get_json(path);
      b = j.value("next_build", ordered_json());
      if (!b.is_object())
        b = j.value("finished_build", ordered_json());
      if (!b.is_object())
        throw Failure("job has no builds");
    }
    id = json_int(b, "id");
  } else if (!build.empty()) {
    id = std::atoll(build.c_str());
  } else {
    auto builds = expect_array(c.get_json("/api/v1/builds?limit=1"), "builds");
    if (builds.empty())
      throw Failure("no builds to watch");
    id = json_int(builds[0], "id");
  }
  return watch_build(ctx, c, id);
}

int builds_command(Context& ctx, const std::vector<std::string>& args) {
  std::string job, pipeline, count = "50", team;
  bool as_json = false;
  Args a("builds");
  add_global_options(a, ctx);
  a.add_string('j', "job", &job, "Name of a job to get builds for (PIPELINE/JOB)");
  a.add_string('p', "pipeline", &pipeline, "Name of a pipeline to get builds for");
  a.add_string('c', "count", &count, "Number of builds you want to limit the return to");
  a.add_string(0, "team", &team, "Name of the team");
  a.add_bool(0, "json", &as_json, "Print command result as JSON");
  expect_no_arguments(a.parse(args));
  auto t = load_target(ctx);
  Client c = client_for(ctx, t);
  std::string tm = team.empty() ? t.props.team : team;
  std::string path = "/api/v1/builds?limit=" + count;
  if (!job.empty())
    path = job_path(tm, job) + "/builds?limit=" + count;
  auto builds = expect_array(c.get_json(path), "builds");
  if (!pipeline.empty() && job.empty()) {
    ordered_json kept = ordered_json::array();
    for (const auto& b : builds) {
      if (json_str(b, "pipeline_name") == pipeline && json_str(b, "team_name") == tm)
        kept.push_back(b);
    }
    builds = kept;
  }
  if (as_json) {
    print_json(ctx.out, builds);
    return 0;
  }
  Table table;
  table.headers = header_row({"id", "name", "build", "status", "start", "end", "duration", "team"});
  for (const auto& b : builds)
    table.rows.push_back(build_row(b));
  table.render(ctx.out, ctx.print_table_headers || ctx.out_is_tty, ctx.out_is_tty);
  return 0;
}

int abort_build_command(Context& ctx, const std::vector<std::string>& args) {
  std::string job, build, team;
  Args a("abort-build");
  add_global_options(a, ctx);
  a.add_string('j', "job", &job, "Name of a job to cancel (PIPELINE/JOB)");
  a.add_string('b', "build", &build, "If job is specified: build number; otherwise: build id");
  a.add_string(0, "team", &team, "Name of the team");
  a.require("build");
  expect_no_arguments(a.parse(args));
  auto t = load_target(ctx);
  Client c = client_for(ctx, t);
  std::string id = build;
  if (!job.empty()) {
    auto b = c.get_json(job_path(team.empty() ? t.props.team : team, job) + "/builds/" +
                        path_escape(build));
    id = std::to_string(json_int(b, "id"));
  }
  c.call(HttpRequest{"PUT", "/api/v1/builds/" + path_escape(id) + "/abort", "", "", {}});
  ctx.out << "build successfully aborted\n";
  return 0;
}

}  // namespace concourse::fly
