// Container lifecycle through the worker's HTTP API with the guardian runtime: create -> run
// `true` -> wait -> destroy, vs the physical baseline measured in the same run: `runc run` (or
// crun) of a bundle with the same spec generator, running `true` in the same busybox rootfs.
// Usage: guardian_bench [runs] [runc|crun ...]   (root, cgroups v1, busybox-static)
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "bench_util.hpp"
#include "oci_spec.hpp"
#include "support/worker_process.hpp"
#include "worker/garden/tests/garden_client.hpp"

extern char** environ;
namespace b = concourse::bench;
namespace gt = concourse::worker::garden::testing;
namespace fs = std::filesystem;

namespace {

int spawn_wait(std::vector<std::string> argv) {
  std::vector<char*> a;
  for (auto& s : argv)
    a.push_back(s.data());
  a.push_back(nullptr);
  pid_t pid;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  if (posix_spawnp(&pid, a[0], &fa, nullptr, a.data(), environ) != 0)
    throw std::runtime_error("spawn " + argv[0]);
  posix_spawn_file_actions_destroy(&fa);
  int st = 0;
  ::waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

std::vector<double> measure_lifecycle(uint16_t port, int runs) {
  int n = 0;
  return b::measure(5, runs, [&] {
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

// `<bin> run` of a bundle whose config.json comes from the same generator, running true.
std::vector<double> measure_raw(const std::string& bin, const std::string& dir, int runs) {
  concourse::oci::SpecInput in;
  in.id = "bench-raw";
  in.rootfs_path = GUARDIAN_TEST_ROOTFS;
  in.args = {"/bin/true"};
  in.env = {"PATH=/bin:/usr/bin"};
  in.cgroups_path = "/concourse-bench/raw";
  auto spec = concourse::oci::make_spec(in);
  spec["root"]["readonly"] = true;  // shared rootfs: nothing may write to it
  fs::create_directories(dir);
  std::ofstream(dir + "/config.json") << spec.dump();
  std::ofstream(dir + "/empty");
  std::vector<std::string> argv = {bin,        "--root", dir + "/state", "run",
                                   "--bundle", dir,      "bench-raw"};
  if (bin == "crun") {  // the hybrid-cgroup workaround, as the plugin applies it (costs a sh)
    argv = {"unshare",
            "-m",
            "--propagation",
            "private",
            "sh",
            "-c",
            "mount --bind " + dir +
                "/empty /sys/fs/cgroup/unified/cgroup.controllers && exec crun "
                "--root " +
                dir + "/state run --bundle " + dir + " bench-raw"};
  }
  return b::measure(5, runs, [&] {
    if (int rc = spawn_wait(argv); rc != 0)
      throw std::runtime_error(bin + " run exited " + std::to_string(rc));
  });
}

int bench_one(const std::string& bin, int runs) {
  concourse::testing::TempDir work;
  auto args = concourse::testing::test_worker_args(work.path(), CONCOURSE_PLUGIN_DIR, "guardian");
  for (std::string a :
       {"--log-level", "info", "--garden-default-rootfs", GUARDIAN_TEST_ROOTFS, "--garden-init-bin",
        CONCOURSE_PLUGIN_DIR "/concourse-init", "--garden-runtime-bin"})
    args.push_back(a);
  args.push_back(bin);
  concourse::testing::WorkerProcess worker(CONCOURSE_BIN, args);
  worker.start();
  try {
    auto ours = b::stats_of(measure_lifecycle(worker.endpoints().garden, runs));
    auto raw = b::stats_of(measure_raw(bin, work.path() + "/raw", runs));
    std::printf("container lifecycle, guardian over %s (%d runs)\n", bin.c_str(), runs);
    b::print_row(bin + " run of the same spec (baseline)", raw);
    b::print_row("create + run true + wait + destroy (HTTP)", ours);
    std::printf("  ratio at the median: %.2fx (goal <= 1.10x)\n", ours.median / raw.median);
  } catch (const std::exception& e) {
    const auto& log = worker.log();
    std::fprintf(stderr, "error: %s\nworker log tail:\n%s\n", e.what(),
                 log.substr(log.size() > 8000 ? log.size() - 8000 : 0).c_str());
    return 1;
  }
  worker.stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = argc > 1 ? std::atoi(argv[1]) : 30;
  std::vector<std::string> bins;
  for (int i = 2; i < argc; ++i)
    bins.emplace_back(argv[i]);
  if (bins.empty())
    bins = {"runc", "crun"};
  int rc = 0;
  for (const auto& bin : bins)
    rc |= bench_one(bin, runs);
  return rc;
}
