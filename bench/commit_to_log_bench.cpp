// commit_to_log_bench: time from a `git commit` to the triggered build's first log line, through
// `concourse quickstart` (web + houdini worker) with a git resource checked every second, as a
// user sees it with `fly watch`. Phases: commit → new version saved (check) → build created
// (scheduler) → first log line (engine: get step, then the task).
// baseline: the same work done directly on the host in this run: `git ls-remote`, `git clone`
// and the task's `sh -c echo`, with no CI system in between.
// Usage: commit_to_log_bench [commits]   (BENCH_VERBOSE=1 prints every fly watch line, timed)
#include <stdio.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "support/git_server.hpp"
#include "support/http.hpp"
#include "support/quickstart.hpp"

namespace t = concourse::testing;
using namespace std::chrono;
using Clock = steady_clock;
using nlohmann::json;

namespace {

constexpr const char* kPipeline = R"yaml(
resources:
- name: app
  type: git
  check_every: 1s
  source: {uri: ((uri)), branch: main}
jobs:
- name: unit
  plan:
  - get: app
    trigger: true
  - task: test
    config:
      platform: linux
      inputs: [{name: app}]
      run: {path: sh, args: [-c, 'echo "unit sees $(cat app/file)"']}
)yaml";

double ms_since(Clock::time_point from, Clock::time_point to) {
  return duration<double, std::milli>(to - from).count();
}

class Api {
 public:
  Api(uint16_t port) : port_(port) {
    auto r = t::http("POST", port_, "/sky/issuer/token",
                     "grant_type=password&username=test&password=test&scope=openid",
                     {{"Content-Type", "application/x-www-form-urlencoded"},
                      {"Authorization", "Basic Zmx5OlpteDU="}});
    token_ = json::parse(r.body).at("access_token").get<std::string>();
  }
  json get(const std::string& path) const {
    auto r = t::http("GET", port_, path, "", {{"Authorization", "Bearer " + token_}});
    return json::parse(r.body, nullptr, false);
  }

 private:
  uint16_t port_;
  std::string token_;
};

size_t count_of(const json& j) {
  return j.is_array() ? j.size() : 0;
}

struct Sample {
  double version = 0, build = 0, first_log = 0, task_log = 0;
};

// Polls every 5 ms: the version list, then the job's builds; then follows the new build with
// `fly watch` and timestamps its lines.
Sample one_commit(t::GitServer& git, const t::Quickstart& qs, const Api& api, int n) {
  const std::string res = "/api/v1/teams/main/pipelines/bench/resources/app/versions";
  const std::string builds = "/api/v1/teams/main/pipelines/bench/jobs/unit/builds";
  size_t versions_before = count_of(api.get(res)), builds_before = count_of(api.get(builds));
  std::string content = "v" + std::to_string(n);
  Sample s;
  auto t0 = Clock::now();
  git.commit(content);
  while (count_of(api.get(res)) <= versions_before)
    std::this_thread::sleep_for(5ms);
  s.version = ms_since(t0, Clock::now());
  json b;
  while (count_of(b = api.get(builds)) <= builds_before)
    std::this_thread::sleep_for(5ms);
  s.build = ms_since(t0, Clock::now());
  std::string cmd = "HOME='" + qs.home() + "' '" FLY_BIN "' -t qs watch -j bench/unit -b " +
                    b[0].value("name", "") + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  char line[4096];
  while (p != nullptr && std::fgets(line, sizeof line, p) != nullptr) {
    auto now = Clock::now();
    if (s.first_log == 0)
      s.first_log = ms_since(t0, now);
    if (std::getenv("BENCH_VERBOSE") != nullptr)
      std::printf("    %7.1f ms  %s", ms_since(t0, now), line);
    if (std::string(line).find("unit sees " + content) != std::string::npos)
      s.task_log = ms_since(t0, now);
  }
  if (p != nullptr)
    ::pclose(p);
  return s;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}
double worst(const std::vector<double>& v) {
  return v.empty() ? 0 : *std::max_element(v.begin(), v.end());
}

double baseline_once(const t::GitServer& git, int i) {
  t::TempDir dir;
  auto t0 = Clock::now();
  t::shell("git ls-remote " + git.uri() + " >/dev/null && git clone -q " + git.uri() + " '" +
           dir.path() + "/app' && sh -c 'echo \"unit sees $(cat " + dir.path() +
           "/app/file)\"' >/dev/null");
  (void)i;
  return ms_since(t0, Clock::now());
}

}  // namespace

int main(int argc, char** argv) {
  int commits = argc > 1 ? std::atoi(argv[1]) : 10;
  if (commits <= 0) {
    std::fprintf(stderr, "usage: commit_to_log_bench [commits]\n");
    return 2;
  }
  t::GitServer git;
  t::Quickstart qs(CONCOURSE_BIN, FLY_BIN);
  qs.start();
  t::TempDir dir;
  std::ofstream(dir.path() + "/p.yml") << kPipeline;
  qs.fly("set-pipeline -n -p bench -c '" + dir.path() + "/p.yml' -v uri=" + git.uri());
  qs.fly("unpause-pipeline -p bench");
  Api api(static_cast<uint16_t>(std::stoi(qs.url().substr(qs.url().rfind(':') + 1))));
  // The first build (of v1) warms the resource's image volume and the check container.
  while (count_of(api.get("/api/v1/teams/main/pipelines/bench/jobs/unit/builds")) == 0)
    std::this_thread::sleep_for(50ms);
  std::this_thread::sleep_for(3s);

  std::printf("commit_to_log_bench: %d commits, git resource with check_every 1s, houdini\n",
              commits);
  std::vector<double> version, build, first, task, base;
  for (int i = 0; i < commits; ++i) {
    auto s = one_commit(git, qs, api, i + 2);
    version.push_back(s.version);
    build.push_back(s.build);
    first.push_back(s.first_log);
    task.push_back(s.task_log);
    base.push_back(baseline_once(git, i));
    // Each commit follows a build that a check started: without a varying pause every commit
    // would land at the same phase of the check interval.
    std::this_thread::sleep_for(milliseconds(100 + (i * 389) % 1000));
  }
  auto row = [](const char* label, const std::vector<double>& v) {
    std::printf("  %-40s p50 %7.1f ms  max %7.1f ms\n", label, median(v), worst(v));
  };
  row("commit -> version saved (check)", version);
  row("commit -> build created (scheduler)", build);
  row("commit -> first log line (fly watch)", first);
  row("commit -> task's own line (fly watch)", task);
  row("baseline: ls-remote + clone + sh -c echo", base);
  std::printf("  goal: first log line under 1000 ms at the median\n");
  return qs.stop() == 0 ? 0 : 1;
}
