// Worker readiness and footprint: time from exec to the first 200 on the health endpoint, and
// resident memory once idle, vs the baseline of exec'ing a trivial binary (`true`).
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <string>
#include <thread>

#include "bench_util.hpp"
#include "support/http.hpp"
#include "support/worker_process.hpp"

extern char** environ;
namespace b = concourse::bench;

namespace {

uint16_t free_port() {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(s);
  return ntohs(a.sin_port);
}

long rss_kib(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0)
      return std::stol(line.substr(6));
  }
  return -1;
}

pid_t spawn(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  return pid;
}

}  // namespace

int main() {
  constexpr int kRuns = 10;
  std::vector<double> ready, baseline;
  long rss = -1;
  for (int i = 0; i < kRuns; ++i) {
    concourse::testing::TempDir work;
    uint16_t g = free_port(), bc = free_port(), hc = free_port();
    auto t0 = b::Clock::now();
    pid_t pid =
        spawn({CONCOURSE_BIN, "worker", "--work-dir", work.path(), "--plugin-dir",
               CONCOURSE_PLUGIN_DIR, "--runtime", "houdini", "--bind-port", std::to_string(g),
               "--baggageclaim-bind-port", std::to_string(bc), "--healthcheck-bind-ip", "127.0.0.1",
               "--healthcheck-bind-port", std::to_string(hc)});
    // Readiness has no event to wait on from outside: probe every 0.5 ms, as a client would.
    for (;;) {
      try {
        if (concourse::testing::http("GET", hc, "/").status == 200)
          break;
      } catch (...) {
      }
      std::this_thread::sleep_for(std::chrono::microseconds(500));
      if (b::ms_since(t0) > 10000) {
        std::fprintf(stderr, "worker did not become healthy\n");
        return 1;
      }
    }
    ready.push_back(b::ms_since(t0));
    if (i == kRuns - 1) {
      std::this_thread::sleep_for(std::chrono::seconds(2));
      rss = rss_kib(pid);
    }
    ::kill(pid, SIGTERM);
    ::waitpid(pid, nullptr, 0);
    auto t1 = b::Clock::now();
    pid_t t = spawn({"/bin/true"});
    ::waitpid(t, nullptr, 0);
    baseline.push_back(b::ms_since(t1));
  }
  std::printf("worker start: exec -> health 200 (%d runs)\n", kRuns);
  b::print_row("exec /bin/true + wait (baseline)", b::stats_of(baseline));
  b::print_row("exec concourse worker -> health 200", b::stats_of(ready));
  std::printf("  idle RSS after 2 s: %.1f MiB (target < 30 MiB)\n",
              static_cast<double>(rss) / 1024);
  return 0;
}
