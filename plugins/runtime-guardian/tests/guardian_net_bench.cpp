// What guardian's networking adds to a container's lifecycle, piece by piece, on this machine:
// attach (lease + namespace + veth + address + route, the whole cost of a create without net
// rules), detach (and the veth deletion it leaves to a background thread), and the firewall paths
// (a restricted net_out chain, a net_in mapping). Not a test; run by hand as root:
// guardian_net_bench [runs]
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <vector>

#include "guardian.hpp"
#include "network.hpp"

using namespace concourse::guardian;
namespace fs = std::filesystem;

namespace {

struct Stats {
  double median, min, max;
};

Stats stats(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return {n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2, v.front(), v.back()};
}

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

void print(const char* what, const std::vector<double>& v) {
  auto s = stats(v);
  std::printf("%-34s n=%zu median=%.3fms min=%.3fms max=%.3fms\n", what, v.size(), s.median, s.min,
              s.max);
}

// Guardian create and destroy as a whole (rootfs argv[2], the default network), for scale.
void whole_creates(const concourse::sdk::Host& host, const std::string& rootfs,
                   const std::string& dir, int runs) {
  for (const char* bin : {"runc", "crun"}) {
    nlohmann::json cfg = {{"runtime_bin", bin},
                          {"default_rootfs", rootfs},
                          {"init_bin", GUARDIAN_INIT_BIN},
                          {"depot", dir + "/depot"},
                          {"destroy_on_exit", true}};
    concourse::sdk::InstanceParams p{cfg.dump(), dir, dir + "/data"};
    Guardian g(host, p);
    concourse::sdk::Call call(host, nullptr);
    std::vector<double> create, destroy;
    for (int i = -3; i < runs; ++i) {
      concourse::sdk::ContainerSpec spec;
      spec.handle = "bench-" + std::to_string(i + 3);
      auto t0 = std::chrono::steady_clock::now();
      g.create(call, spec);
      double c = ms_since(t0);
      t0 = std::chrono::steady_clock::now();
      g.destroy(call, spec.handle);
      double d = ms_since(t0);
      if (i >= 0) {
        create.push_back(c);
        destroy.push_back(d);
      }
    }
    print((std::string("guardian create (") + bin + ")").c_str(), create);
    print((std::string("guardian destroy (") + bin + ")").c_str(), destroy);
  }
}

}  // namespace

int main(int argc, char** argv) {
  int runs = argc > 1 ? std::atoi(argv[1]) : 50;
  if (::geteuid() != 0) {
    std::fprintf(stderr, "guardian_net_bench needs root\n");
    return 2;
  }
  std::string dir = "/tmp/guardian-net-bench";
  fs::remove_all(dir);
  fs::create_directories(dir + "/owner");
  cc_host_api api{};
  api.struct_size = sizeof api;
  api.log = [](void*, uint32_t, cc_str, const cc_kv*, size_t) {};
  api.log_enabled = [](void*, uint32_t) -> int32_t { return 0; };
  concourse::sdk::Host host(&api);
  NetworkConfig cfg;
  cfg.bridge = "ccnet-bench";
  cfg.pool = "10.197.0.0/24";
  cfg.state_dir = dir + "/state";
  std::vector<double> attach, detach, restrict_ms, netin_ms, restricted_detach, background;
  {
    Network net(cfg, host);
    net.start({}, dir);
    concourse::sdk::NetOutRule rule;
    rule.protocol = CC_PROTO_TCP;
    rule.networks = {{"192.0.2.10", "192.0.2.10"}};
    rule.ports = {{443, 443}};
    for (int i = -3; i < runs; ++i) {
      auto t0 = std::chrono::steady_clock::now();
      ContainerNet n = net.attach(dir + "/owner");
      double a = ms_since(t0);
      t0 = std::chrono::steady_clock::now();
      net.apply(n, dir + "/owner", {rule}, {});
      double r = ms_since(t0);
      t0 = std::chrono::steady_clock::now();
      net.net_in(n, dir + "/owner", 0, 8080);
      double p = ms_since(t0);
      t0 = std::chrono::steady_clock::now();
      net.detach(n, dir + "/owner");
      double rd = ms_since(t0);
      net.settle();
      ContainerNet plain = net.attach(dir + "/owner");
      t0 = std::chrono::steady_clock::now();
      net.detach(plain, dir + "/owner");
      double d = ms_since(t0);
      t0 = std::chrono::steady_clock::now();
      net.settle();
      double bg = ms_since(t0);
      if (i < 0)
        continue;  // warm-up
      attach.push_back(a);
      restrict_ms.push_back(r);
      netin_ms.push_back(p);
      restricted_detach.push_back(rd);
      detach.push_back(d);
      background.push_back(bg);
    }
    print("attach (create, no net rules)", attach);
    print("detach (destroy, no net rules)", detach);
    print("  then veth deletion (background)", background);
    print("net_out chain at create", restrict_ms);
    print("net_in mapping", netin_ms);
    print("detach with chain + mapping", restricted_detach);
    net.shutdown_if_unused();
  }
  if (argc > 2)
    whole_creates(host, argv[2], dir, runs);
  fs::remove_all(dir);
  return 0;
}
