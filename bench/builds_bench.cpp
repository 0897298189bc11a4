// Builds per second through one web node and one houdini worker: a WebNode (real engine) on a
// throw-away PostgreSQL, a real `concourse worker`, a pipeline whose one job is one task without
// an image (`run: {path: "true"}`), N builds triggered over the API from several clients at
// once. Prints builds/s and p50/p99 latency (trigger request sent -> the build seen finished by
// a poller of the job's builds every 20 ms; 2 ms when one build runs at a time) beside the
// baseline: fork/exec/wait of `true` N times in this process. The worker's Garden holds 250
// containers: with more builds in flight, the rest wait for room and the bench says how many.
//
//   builds_bench [builds (default 200)] [clients (default 8)]
#include <spawn.h>
#include <sys/wait.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "atc/db/builds.hpp"
#include "atc/web_node.hpp"
#include "bench_util.hpp"
#include "support/http.hpp"
#include "support/postgres.hpp"
#include "support/worker_process.hpp"

extern char** environ;

namespace {

using concourse::bench::Clock;
using concourse::testing::http;
using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kPipeline = R"yaml(
jobs:
- name: bench
  plan:
  - task: t
    config:
      platform: linux
      run: {path: "true"}
)yaml";

std::string token(uint16_t port, const std::string& form) {
  auto r = http("POST", port, "/sky/issuer/token", form,
                {{"Content-Type", "application/x-www-form-urlencoded"}});
  if (r.status != 200) {
    std::fprintf(stderr, "token: %d %s\n", r.status, r.body.c_str());
    std::exit(1);
  }
  return json::parse(r.body).at("access_token");
}

void must(const concourse::testing::HttpReply& r, int want, const char* what) {
  if (r.status != want) {
    std::fprintf(stderr, "%s: %d %s\n", what, r.status, r.body.c_str());
    std::exit(1);
  }
}

void register_worker(concourse::atc::WebNode& node, const concourse::testing::WorkerProcess& w) {
  std::string system = token(node.api_port(),
                             "grant_type=client_credentials&client_id=concourse-worker"
                             "&client_secret=" +
                                 node.worker_client_secret());
  json body{{"name", "bench-worker"},
            {"addr", "127.0.0.1:" + std::to_string(w.endpoints().garden)},
            {"baggageclaim_url", "http://127.0.0.1:" + std::to_string(w.endpoints().baggageclaim)},
            {"platform", "linux"},
            {"version", "2.5"},
            {"tags", json::array()},
            {"team", ""},
            {"start_time", 1700000000}};
  must(http("POST", node.api_port(), "/api/v1/workers?ttl=1h", body.dump(),
            {{"Authorization", "Bearer " + system}, {"Content-Type", "application/json"}}),
       200, "register worker");
}

struct Run {
  double seconds = 0;
  int64_t first_unsuccessful = 0;  // a build to show the errors of
  std::vector<int64_t> ids;
  std::vector<double> latencies_ms;
  std::map<std::string, int> statuses;
};

// Triggers n builds from `clients` threads; one poller records when each is seen finished.
Run trigger_and_wait(uint16_t port, const std::string& auth, int n, int clients,
                     std::chrono::milliseconds poll) {
  const std::string base = "/api/v1/teams/main/pipelines/bench/jobs/bench/builds";
  std::map<std::string, std::string> h = {{"Authorization", "Bearer " + auth}};
  std::mutex mu;
  std::map<int64_t, Clock::time_point> sent;
  std::atomic<int> next{0};
  Run run;
  auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&] {
      while (next.fetch_add(1) < n) {
        auto at = Clock::now();
        auto r = http("POST", port, base, "", h);
        must(r, 200, "trigger");
        std::lock_guard lock(mu);
        sent[json::parse(r.body).at("id").get<int64_t>()] = at;
      }
    });
  }
  for (auto& t : threads)
    t.join();
  int64_t first = sent.begin()->first;
  for (const auto& [id, at] : sent)
    run.ids.push_back(id);
  std::map<int64_t, bool> done;
  while (static_cast<int>(done.size()) < n) {
    auto r = http("GET", port,
                  base + "?since=" + std::to_string(first - 1) + "&limit=" + std::to_string(n + 1),
                  "", h);
    auto now = Clock::now();
    for (const auto& b : json::parse(r.body)) {
      int64_t id = b["id"];
      std::string status = b["status"];
      if (status == "pending" || status == "started" || done.count(id) || !sent.count(id))
        continue;
      done[id] = true;
      run.statuses[status]++;
      if (status != "succeeded" && run.first_unsuccessful == 0)
        run.first_unsuccessful = id;
      run.latencies_ms.push_back(std::chrono::duration<double, std::milli>(now - sent[id]).count());
    }
    std::this_thread::sleep_for(poll);
  }
  run.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return run;
}

Run baseline(int n) {
  Run run;
  auto t0 = Clock::now();
  for (int i = 0; i < n; ++i) {
    auto at = Clock::now();
    pid_t pid = 0;
    char arg0[] = "true";
    char* argv[] = {arg0, nullptr};
    if (::posix_spawnp(&pid, "true", nullptr, nullptr, argv, environ) != 0)
      std::exit(1);
    int st = 0;
    ::waitpid(pid, &st, 0);
    run.latencies_ms.push_back(concourse::bench::ms_since(at));
  }
  run.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  run.statuses["succeeded"] = n;
  return run;
}

void print(const char* label, const Run& r) {
  auto s = concourse::bench::stats_of(r.latencies_ms);
  std::vector<double> v = r.latencies_ms;
  std::sort(v.begin(), v.end());
  double p99 = v.empty() ? 0 : v[static_cast<size_t>(0.99 * static_cast<double>(v.size() - 1))];
  std::string statuses;
  for (const auto& [k, c] : r.statuses)
    statuses += " " + k + "=" + std::to_string(c);
  std::printf("  %-36s %8.1f builds/s  p50 %8.2f ms  p99 %8.2f ms  (%zu in %.2fs:%s)\n", label,
              static_cast<double>(r.latencies_ms.size()) / r.seconds, s.median, p99,
              r.latencies_ms.size(), r.seconds, statuses.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 200;
  int clients = argc > 2 ? std::atoi(argv[2]) : 8;
  if (n <= 0 || clients <= 0) {
    std::fprintf(stderr, "usage: builds_bench [builds] [clients]\n");
    return 2;
  }
  concourse::log::configure(concourse::log::Level::Warn, concourse::log::Format::Text);
  concourse::testing::TempPostgres pg;
  concourse::testing::TempDir dir;
  concourse::testing::WorkerProcess worker(
      CONCOURSE_BIN,
      concourse::testing::test_worker_args(dir.path() + "/work", CONCOURSE_PLUGIN_DIR));
  worker.start();
  concourse::atc::WebNodeOptions o;
  o.postgres = pg.fresh_database();
  o.api.bind_ip = "127.0.0.1";
  o.api.bind_port = 0;
  o.local_users = {{"admin", "secret"}};
  o.main_team_users = {"admin"};
  concourse::atc::WebNode node(o, concourse::log::Logger("web"));
  node.start();
  register_worker(node, worker);
  std::string admin = token(node.api_port(),
                            "grant_type=password&username=admin&password=secret"
                            "&client_id=fly&client_secret=Zmx5&scope=openid");
  must(http("PUT", node.api_port(), "/api/v1/teams/main/pipelines/bench/config", kPipeline,
            {{"Authorization", "Bearer " + admin}, {"Content-Type", "application/x-yaml"}}),
       201, "set pipeline");
  std::printf("builds_bench: %d builds of a one-task job (run: true, no image), %d clients\n", n,
              clients);
  trigger_and_wait(node.api_port(), admin, std::min(n, 10), clients, 20ms);  // warm-up
  Run burst = trigger_and_wait(node.api_port(), admin, n, clients, 20ms);
  print("web + houdini worker (API trigger)", burst);
  // Steps beyond the worker's room wait for it (placement) instead of erroring.
  int waited = 0;
  for (int64_t id : burst.ids) {
    for (const auto& e : concourse::atc::db::Builds(node.database()).events_after(id, -1))
      waited += e.type == "waiting-for-worker" ? 1 : 0;
  }
  std::printf("    %d of %zu builds waited for room on the worker\n", waited, burst.ids.size());
  if (burst.first_unsuccessful != 0) {
    for (const auto& e :
         concourse::atc::db::Builds(node.database()).events_after(burst.first_unsuccessful, -1)) {
      if (e.type == "error")
        std::printf("    build %lld: error: %s\n", static_cast<long long>(burst.first_unsuccessful),
                    e.payload.value("message", "").c_str());
    }
  }
  // One build at a time: the latency of a build with nothing queued beside it.
  Run serial;
  auto t0 = Clock::now();
  for (int i = 0; i < std::min(n, 30); ++i) {
    Run one = trigger_and_wait(node.api_port(), admin, 1, 1, 2ms);
    serial.latencies_ms.push_back(one.latencies_ms.at(0));
    for (const auto& [k, c] : one.statuses)
      serial.statuses[k] += c;
  }
  serial.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  print("same, one build at a time", serial);
  print("baseline: fork/exec/wait `true`", baseline(n));
  node.stop();
  worker.stop();
  return 0;
}
