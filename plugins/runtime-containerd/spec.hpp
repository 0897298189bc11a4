// TODO(lead): fold into plugins/oci. plugins/oci (concourse_oci) did not exist while this plugin
// was written, so this is a private OCI runtime-spec generator with the same input shape as
// concourse::oci::SpecInput; switching is a matter of replacing this header and spec.cpp.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace concourse::containerd::oci {

struct BindMount {
  std::string src, dst;
  bool read_only = true;
};
struct IdMap {
  uint32_t container_id = 0, host_id = 0, size = 0;
};
struct Limits {
  uint64_t memory_bytes = 0, memory_swap_bytes = 0;
  uint64_t cpu_shares = 0;
  int64_t cpu_quota_us = 0;
  uint64_t cpu_period_us = 0;
  int64_t pids = 0;
};
struct SpecInput {
  std::string id, rootfs_path, hostname;
  bool privileged = false;
  std::vector<std::string> env;
  std::vector<BindMount> mounts;
  std::vector<std::string> args;
  std::string cgroups_path;
  Limits limits;
  std::vector<IdMap> uid_maps, gid_maps;
  std::string netns_path;
  std::string resolv_conf_path, hosts_path;
};

nlohmann::json make_spec(const SpecInput& in);
// The linux.resources object alone (for Tasks.Update).
nlohmann::json make_resources(const Limits& l);
// Capabilities of a process in a privileged or unprivileged container.
nlohmann::json capabilities(bool privileged);

}  // namespace concourse::containerd::oci
