// The runtime's configuration: the worker's --runtime-config JSON, which host/cli fills from the
// --containerd-* flags (see host/cli/containerd_flags.cpp for the key names).
#pragma once

#include <chrono>
#include <concourse/sdk.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace concourse::containerd {

struct Config {
  std::string bin = "containerd";  // --containerd-bin
  std::string config;              // --containerd-config: the operator's config.toml
  std::string socket;              // connect to this socket instead of starting a daemon
  std::string init_bin;            // --containerd-init-bin: PID 1 of every container
  std::string default_rootfs;      // rootfs of containers created without one (a directory)
  std::string log_level = "info";
  std::chrono::milliseconds request_timeout{60000};  // --containerd-request-timeout
  uint64_t max_containers = 250;                     // --containerd-max-containers
  bool destroy_on_exit = false;  // destroy every container when the worker stops (tests)
  // Networking (issue 6 §4); parsed and validated, but CNI is not implemented yet: a
  // container asking for network rules gets CC_E_UNSUPPORTED.
  std::string network_pool = "10.80.0.0/16";
  std::vector<std::string> dns_servers, restricted_networks;
  bool allow_host_access = false, dns_proxy_enable = false;
  uint32_t mtu = 0;
  std::string external_ip;
  std::string cni_plugins_dir = "/usr/lib/cni";
};

Config parse_config(const sdk::InstanceParams& params);

}  // namespace concourse::containerd
