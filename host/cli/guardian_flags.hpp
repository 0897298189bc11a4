// `concourse worker --garden-*`: the guardian runtime's flags (issue 5), with their
// CONCOURSE_GARDEN_* env vars (FlagSet's usual mapping) and gdn's `--garden-config` ini file
// ([server] section, keys named like the flags without "garden-"), merged into the
// runtime-config JSON the guardian plugin reads. Command line and env win over the ini file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/flags.hpp"

namespace concourse::cli {

struct GuardianFlags {
  std::string config, runtime_bin, default_rootfs, init_bin, network_pool;
  std::vector<std::string> dns_servers;
  int64_t max_containers = 250, mtu = 0;
  bool allow_host_access = false, destroy_on_exit = false;
};

void add_guardian_flags(core::FlagSet& fs, GuardianFlags& f);

// After parsing: when runtime is "guardian" (or guardian@VERSION), merges what was set (flags,
// env, then the ini file) into runtime_config, a JSON object. Throws core::UsageError.
void apply_guardian_flags(const core::FlagSet& fs, const GuardianFlags& f,
                          const std::string& runtime, const std::string& plugin_dir,
                          std::string& runtime_config);

}  // namespace concourse::cli
