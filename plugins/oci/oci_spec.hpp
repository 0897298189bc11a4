// The one OCI runtime-spec generator, shared by every runtime that drives an OCI binary (guardian
// with runc/crun) or hands a spec to a daemon (containerd). Garden's defaults live here: the
// capability sets, masked and read-only paths, /dev basics and the init process.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace concourse::oci {

struct BindMount {
  std::string src, dst;
  bool read_only = true;
};
struct IdMap {
  uint32_t container_id = 0, host_id = 0, size = 0;
};
struct Limits {  // 0 = unlimited
  uint64_t memory_bytes = 0, memory_swap_bytes = 0;
  uint64_t cpu_shares = 0;
  int64_t cpu_quota_us = 0;
  uint64_t cpu_period_us = 0;
  int64_t pids = 0;
};
struct SpecInput {
  std::string id, rootfs_path /*absolute dir*/, hostname;
  bool privileged = false;
  std::vector<std::string> env;  // K=V
  std::vector<BindMount> mounts;
  std::vector<std::string> args;  // init process argv
  std::string cgroups_path;       // absolute, e.g. /concourse/<handle>
  Limits limits;
  std::vector<IdMap> uid_maps, gid_maps;     // empty when privileged
  std::string netns_path;                    // empty = new network namespace
  std::string resolv_conf_path, hosts_path;  // bind-mounted ro to /etc/resolv.conf, /etc/hosts
};

// OCI runtime-spec 1.0.2 config.json. Throws std::invalid_argument on a relative rootfs,
// cgroups path or mount destination.
nlohmann::json make_spec(const SpecInput&);

// "raw:///abs" -> "/abs"; throws std::invalid_argument on any other form.
std::string rootfs_from_uri(const std::string& uri);

// Garden's capability sets: the unprivileged default, and every capability for privileged.
const std::vector<std::string>& default_capabilities();
const std::vector<std::string>& privileged_capabilities();

}  // namespace concourse::oci
