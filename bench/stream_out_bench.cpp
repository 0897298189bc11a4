// Stream-out of a 1 GiB tree: Baggageclaim's PUT /volumes/:h/stream-out and Garden's
// GET /containers/:h/files, each piped into `tar x`, vs the physical baseline `tar c | tar x`,
// measured in the same run on the same tree.
//   stream_out_bench [size_mib=1024] [runs=3]
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "bench_util.hpp"
#include "support/http.hpp"
#include "support/worker_process.hpp"

namespace fs = std::filesystem;
namespace b = concourse::bench;
using concourse::testing::http;
using concourse::testing::shell;

namespace {

// A build-output-like tree: a few large files and many small ones.
void fill_tree(const fs::path& root, size_t total_mib) {
  std::mt19937_64 rng(42);
  std::string block(1 << 20, '\0');
  for (auto& c : block)
    c = static_cast<char>(rng());
  size_t big = total_mib * 9 / 10;
  fs::create_directories(root / "big");
  for (size_t i = 0; i < big / 64; ++i) {
    std::ofstream f(root / "big" / ("blob" + std::to_string(i)), std::ios::binary);
    for (int m = 0; m < 64; ++m)
      f.write(block.data(), static_cast<std::streamsize>(block.size()));
  }
  size_t small_bytes = (total_mib - big) << 20;
  for (size_t i = 0, done = 0; done < small_bytes; ++i) {
    auto dir = root / "src" / ("pkg" + std::to_string(i / 100));
    fs::create_directories(dir);
    size_t n = 4096 + (rng() % 60000);
    std::ofstream(dir / ("file" + std::to_string(i) + ".o"), std::ios::binary)
        .write(block.data() + (rng() % (block.size() - n)), static_cast<std::streamsize>(n));
    done += n;
  }
}

double run_ms(const std::string& cmd) {
  auto t0 = b::Clock::now();
  if (std::system(cmd.c_str()) != 0) {
    std::fprintf(stderr, "command failed: %s\n", cmd.c_str());
    std::exit(1);
  }
  return b::ms_since(t0);
}

}  // namespace

int main(int argc, char** argv) {
  size_t mib = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 1024;
  int runs = argc > 2 ? std::atoi(argv[2]) : 3;
  concourse::testing::TempDir work, scratch;
  concourse::testing::WorkerProcess worker(
      CONCOURSE_BIN, concourse::testing::test_worker_args(work.path(), CONCOURSE_PLUGIN_DIR));
  worker.start();
  auto bc = worker.endpoints().baggageclaim;
  auto garden = worker.endpoints().garden;
  auto vol = http("POST", bc, "/volumes", R"({"handle":"bench","strategy":{"type":"empty"}})");
  auto path = nlohmann::json::parse(vol.body)["path"].get<std::string>();
  std::printf("stream-out of a %zu MiB tree (%d runs each, same tree)\n", mib, runs);
  fill_tree(path, mib);
  http("POST", garden, "/containers", R"({"handle":"bench","rootfs":""})");
  // Garden's container sees the same tree through a bind of the volume's files.
  shell("mkdir -p " + work.path() + "/containers/bench && cp -al " + path + " " + work.path() +
        "/containers/bench/tree 2>/dev/null || true");
  std::string dst = scratch.path() + "/dst";
  auto reset = "rm -rf " + dst + " && mkdir -p " + dst;
  std::string curl = "curl -sf --no-buffer -o - ";
  std::vector<double> base, bcv, gdn;
  for (int i = 0; i < runs; ++i) {
    shell(reset);
    base.push_back(run_ms("tar -C " + path + " -cf - . | tar -C " + dst + " -xf -"));
    shell(reset);
    bcv.push_back(run_ms(curl + "-XPUT 'http://127.0.0.1:" + std::to_string(bc) +
                         "/volumes/bench/stream-out?path=.' | tar -C " + dst + " -xf -"));
    shell(reset);
    gdn.push_back(run_ms(curl + "'http://127.0.0.1:" + std::to_string(garden) +
                         "/containers/bench/files?source=/tree/' | tar -C " + dst + " -xf -"));
  }
  auto sb = b::stats_of(base), sv = b::stats_of(bcv), sg = b::stats_of(gdn);
  b::print_row("tar c | tar x (baseline)", sb);
  b::print_row("baggageclaim stream-out | tar x", sv);
  b::print_row("garden stream-out (houdini) | tar x", sg);
  std::printf(
      "  throughput: baseline %.0f MiB/s, baggageclaim %.0f MiB/s (%.0f%% of baseline), "
      "garden %.0f MiB/s (%.0f%%)\n",
      static_cast<double>(mib) * 1000 / sb.median, static_cast<double>(mib) * 1000 / sv.median,
      100 * sb.median / sv.median, static_cast<double>(mib) * 1000 / sg.median,
      100 * sb.median / sg.median);
  worker.stop();
  return 0;
}
