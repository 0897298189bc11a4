// Container lifecycle through the worker's HTTP API (houdini): create -> run `true` -> wait for
// its exit status -> destroy, vs the physical baseline: fork/exec/wait of `true`.
#include <spawn.h>
#include <sys/wait.h>

#include <nlohmann/json.hpp>

#include "bench_util.hpp"
#include "support/worker_process.hpp"
#include "worker/garden/tests/garden_client.hpp"

extern char** environ;
namespace b = concourse::bench;
namespace gt = concourse::worker::garden::testing;

namespace {

std::vector<double> measure_lifecycle(uint16_t port, int runs) {
  int n = 0;
  return b::measure(20, runs, [&] {
    std::string h = "bench-" + std::to_string(n++);
    auto c = gt::http(port, "POST", "/containers", R"({"handle":")" + h + R"("})");
    if (c.status != 200)
      throw std::runtime_error("create: " + c.body);
    auto r = gt::run_process(port, h, {{"path", "true"}});
    if (r.exit_status.value_or(-1) != 0)
      throw std::runtime_error("run: " + r.error);
    if (gt::http(port, "DELETE", "/containers/" + h).status != 200)
      throw std::runtime_error("destroy");
  });
}

std::vector<double> measure_fork_exec(int runs) {
  char arg0[] = "true";
  char* targv[] = {arg0, nullptr};
  return b::measure(20, runs, [&] {
    pid_t pid;
    if (posix_spawn(&pid, "/bin/true", nullptr, nullptr, targv, environ) != 0)
      std::abort();
    ::waitpid(pid, nullptr, 0);
  });
}

// The run alone, on one long-lived container: what a task's process costs on its own.
std::vector<double> measure_run_only(uint16_t port, int runs) {
  gt::http(port, "POST", "/containers", R"({"handle":"warm"})");
  return b::measure(20, runs, [&] { gt::run_process(port, "warm", {{"path", "true"}}); });
}

}  // namespace

int main(int argc, char** argv) {
  int runs = argc > 1 ? std::atoi(argv[1]) : 300;
  concourse::testing::TempDir work;
  auto args = concourse::testing::test_worker_args(work.path(), CONCOURSE_PLUGIN_DIR);
  args.push_back("--log-level");
  args.push_back("info");
  concourse::testing::WorkerProcess worker(CONCOURSE_BIN, args);
  worker.start();
  uint16_t port = worker.endpoints().garden;
  try {
    auto ours = measure_lifecycle(port, runs);
    auto raw = measure_fork_exec(runs);
    auto run_only = measure_run_only(port, runs);
    auto so = b::stats_of(ours), sr = b::stats_of(raw), sw = b::stats_of(run_only);
    std::printf("container lifecycle, houdini (%d runs)\n", runs);
    b::print_row("fork/exec/wait of true (baseline)", sr);
    b::print_row("create + run true + wait + destroy (HTTP)", so);
    b::print_row("run true + wait on an existing container", sw);
    std::printf("  lifecycle overhead over raw fork/exec at the median: %.3f ms (target <= 2 ms)\n",
                so.median - sr.median);
  } catch (const std::exception& e) {
    // A hung or failed run is a finding, not a crash: show what the worker said around it.
    const auto& log = worker.log();
    std::fprintf(stderr, "error: %s\nworker log tail:\n%s\n", e.what(),
                 log.substr(log.size() > 8000 ? log.size() - 8000 : 0).c_str());
    return 1;
  }
  worker.stop();
  return 0;
}
