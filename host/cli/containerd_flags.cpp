#include "cli/containerd_flags.hpp"

#include <cstdlib>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace concourse::cli {
namespace {

// Guardian flag -> containerd flag, from "Transitioning from Guardian to containerd". The
// host's own --garden-default-grace-time and --garden-request-timeout apply to every runtime
// and stay as they are.
const std::map<std::string, std::string> kGardenToContainerd = {
    {"garden-config", "containerd-config"},
    {"garden-bin", "containerd-bin"},
    {"garden-dns-proxy-enable", "containerd-dns-proxy-enable"},
    {"garden-deny-network", "containerd-restricted-network"},
    {"garden-network-pool", "containerd-network-pool"},
    {"garden-max-containers", "containerd-max-containers"},
    {"garden-dns-server", "containerd-dns-server"},
    {"garden-allow-host-access", "containerd-allow-host-access"},
    {"garden-mtu", "containerd-mtu"},
    {"garden-external-ip", "containerd-external-ip"},
};

// Guardian flags with no containerd counterpart, and what to do instead.
const std::map<std::string, std::string> kNoEquivalent = {
    {"garden-use-houdini", "use --runtime houdini"},
    {"garden-network-plugin", "containerd networking is built in (CNI bridge); drop the flag"},
    {"garden-network-plugin-extra-args", "containerd networking is built in; drop the flag"},
    {"garden-destroy-containers-on-startup", "no containerd equivalent; drop the flag"},
    {"garden-time-format", "no containerd equivalent; drop the flag"},
};

bool runtime_is_containerd(int argc, char** argv) {
  std::string runtime;
  if (const char* env = std::getenv("CONCOURSE_RUNTIME"))
    runtime = env;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--runtime" && i + 1 < argc)
      runtime = argv[i + 1];
    else if (a.rfind("--runtime=", 0) == 0)
      runtime = a.substr(10);
  }
  return runtime == "containerd" || runtime.rfind("containerd@", 0) == 0;
}

// CONCOURSE_GARDEN_X=v -> CONCOURSE_CONTAINERD_Y=v unless that is set already.
void map_env() {
  for (const auto& [from, to] : kGardenToContainerd) {
    const char* v = std::getenv(core::FlagSet::env_name(from).c_str());
    std::string target = core::FlagSet::env_name(to);
    if (v != nullptr && std::getenv(target.c_str()) == nullptr)
      ::setenv(target.c_str(), v, 0);
  }
}

void rewrite_argv(ContainerdFlags& f, int argc, char** argv) {
  f.rewritten.reserve(static_cast<size_t>(argc));  // no reallocation: argv points into it
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--garden-", 0) != 0)
      continue;
    size_t eq = a.find('=');
    std::string name = a.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    if (auto it = kNoEquivalent.find(name); it != kNoEquivalent.end())
      throw core::UsageError("--" + name + " has no containerd equivalent: " + it->second);
    auto it = kGardenToContainerd.find(name);
    if (it == kGardenToContainerd.end())
      continue;  // a host flag (grace time, request timeout) or someone else's
    f.rewritten.push_back("--" + it->second + (eq == std::string::npos ? "" : a.substr(eq)));
    argv[i] = f.rewritten.back().data();
  }
}

}  // namespace

void add_containerd_flags(core::FlagSet& fs, ContainerdFlags& f, int argc, char** argv) {
  fs.add_string("containerd-config", &f.config, "config.toml for the containerd daemon");
  fs.add_string("containerd-bin", &f.bin, "containerd executable (resolved from $PATH)");
  fs.add_string("containerd-init-bin", &f.init_bin,
                "init executable of containers (default: the one beside the plugin)");
  fs.add_string("containerd-cni-plugins-dir", &f.cni_plugins_dir, "directory of CNI plugins");
  fs.add_string("containerd-socket", &f.socket,
                "use the containerd listening on this socket instead of starting one");
  fs.add_string("containerd-default-rootfs", &f.default_rootfs,
                "directory used (through an overlay) as rootfs of containers created without one");
  fs.add_string("containerd-log-level", &f.log_level, "log level of the containerd daemon");
  fs.add_duration("containerd-request-timeout", &f.request_timeout,
                  "how long to wait for requests to containerd (0 = no timeout)");
  fs.add_int("containerd-max-containers", &f.max_containers, "max containers (0 = no limit)");
  fs.add_string("containerd-external-ip", &f.external_ip,
                "IP address to use to reach containers' mapped ports");
  fs.add_list("containerd-dns-server", &f.dns_servers, "DNS server for containers (repeatable)");
  fs.add_list("containerd-restricted-network", &f.restricted_networks,
              "network range containers may not reach (repeatable)");
  fs.add_string("containerd-network-pool", &f.network_pool,
                "range for container subnets (default 10.80.0.0/16)");
  fs.add_int("containerd-mtu", &f.mtu, "MTU of container interfaces");
  fs.add_bool("containerd-allow-host-access", &f.allow_host_access,
              "allow containers to reach the host's network");
  fs.add_bool("containerd-dns-proxy-enable", &f.dns_proxy_enable,
              "run a DNS proxy on the host (implies host access)");
  fs.add_bool("containerd-destroy-on-exit", &f.destroy_on_exit,
              "destroy every container when the worker stops");
  if (runtime_is_containerd(argc, argv)) {
    map_env();
    rewrite_argv(f, argc, argv);
  }
}

void apply_containerd_flags(const core::FlagSet& fs, const ContainerdFlags& f,
                            const std::string& runtime, std::string& runtime_config) {
  if (runtime != "containerd" && runtime.rfind("containerd@", 0) != 0)
    return;
  auto j = nlohmann::json::parse(runtime_config.empty() ? "{}" : runtime_config, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    throw core::UsageError("--runtime-config must be a JSON object");
  auto set = [&](const char* flag, const char* key, const nlohmann::json& v) {
    if (fs.was_set(flag))
      j[key] = v;
  };
  set("containerd-config", "config", f.config);
  set("containerd-bin", "bin", f.bin);
  set("containerd-init-bin", "init_bin", f.init_bin);
  set("containerd-cni-plugins-dir", "cni_plugins_dir", f.cni_plugins_dir);
  set("containerd-socket", "socket", f.socket);
  set("containerd-default-rootfs", "default_rootfs", f.default_rootfs);
  set("containerd-log-level", "log_level", f.log_level);
  if (f.max_containers < 0)
    throw core::UsageError("--containerd-max-containers must be >= 0");
  set("containerd-max-containers", "max_containers", f.max_containers);
  set("containerd-external-ip", "external_ip", f.external_ip);
  set("containerd-dns-server", "dns_servers", f.dns_servers);
  set("containerd-restricted-network", "restricted_networks", f.restricted_networks);
  set("containerd-network-pool", "network_pool", f.network_pool);
  if (f.mtu < 0 || f.mtu > 65535)
    throw core::UsageError("--containerd-mtu must be between 0 and 65535");
  set("containerd-mtu", "mtu", f.mtu);
  set("containerd-allow-host-access", "allow_host_access", f.allow_host_access);
  set("containerd-dns-proxy-enable", "dns_proxy_enable", f.dns_proxy_enable);
  set("containerd-destroy-on-exit", "destroy_on_exit", f.destroy_on_exit);
  if (fs.was_set("containerd-request-timeout")) {
    j["request_timeout_ms"] =
        std::chrono::duration_cast<std::chrono::milliseconds>(f.request_timeout).count();
  }
  runtime_config = j.dump();
}

}  // namespace concourse::cli
