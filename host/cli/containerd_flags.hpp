// `concourse worker --containerd-*`: the containerd runtime's flags (issue 6), merged into the
// runtime-config JSON the containerd plugin reads. With `--runtime containerd`, Guardian's
// `--garden-*` flags (and CONCOURSE_GARDEN_* vars) that have a containerd counterpart are
// rewritten to it, as the transition notes in Concourse's docs list; one without a counterpart
// is a usage error naming what to use instead.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/flags.hpp"

namespace concourse::cli {

struct ContainerdFlags {
  std::string config, bin, init_bin, cni_plugins_dir, socket, default_rootfs, log_level;
  std::string external_ip, network_pool;
  std::vector<std::string> dns_servers, restricted_networks;
  std::chrono::nanoseconds request_timeout{std::chrono::minutes(5)};
  int64_t max_containers = 250, mtu = 0;
  bool allow_host_access = false, dns_proxy_enable = false, destroy_on_exit = false;
  std::vector<std::string> rewritten;  // storage for argv entries rewritten from --garden-*
};

// Registers the flags, and (when the runtime is containerd) rewrites --garden-* entries of argv
// in place to their --containerd-* names. Throws core::UsageError for a --garden-* flag with no
// containerd counterpart.
void add_containerd_flags(core::FlagSet& fs, ContainerdFlags& f, int argc, char** argv);

// After parsing: when runtime is "containerd", merges the flags that were set into
// runtime_config (a JSON object); otherwise leaves it alone.
void apply_containerd_flags(const core::FlagSet& fs, const ContainerdFlags& f,
                            const std::string& runtime, std::string& runtime_config);

}  // namespace concourse::cli
