// The guardian runtime's configuration: the runtime-config JSON the worker hands the plugin
// (built from --garden-* flags by host/cli/guardian_flags.cpp). Unknown keys are refused with a
// clear message.
#pragma once

#include <concourse/sdk.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "network.hpp"

namespace concourse::guardian {

struct Config {
  std::string runtime_bin = "runc";  // an OCI runtime CLI: runc or crun
  std::string default_rootfs;  // rootfs (through an overlay) of containers created without one
  std::string init_bin;        // default: concourse-init beside the plugin module
  std::string depot;           // bundles; default <data_dir>/depot
  std::string cgroup_parent;   // /concourse/<hash of depot>: one subtree per worker
  std::vector<std::string> dns_servers;
  uint64_t max_containers = 250;  // 0 = unlimited
  NetworkConfig network;
  bool destroy_on_exit = false;  // destroy every container when the plugin instance goes
};

Config parse_config(const sdk::InstanceParams& params);

// The directory holding the plugin module that contains this code ("" if unknown).
std::string module_dir();

}  // namespace concourse::guardian
