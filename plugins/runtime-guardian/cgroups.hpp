// cgroups v1, the only mode the guardian runtime supports (as Concourse's Guardian): the start-up
// check for the controllers limits need, and metrics read from a container's cgroup files.
#pragma once

#include <concourse/runtime.h>

#include <string>

namespace concourse::guardian {

// Throws sdk::Error(CC_E_UNAVAILABLE) naming the missing v1 controllers.
void check_cgroups_v1(const std::string& proc_cgroups = "/proc/cgroups");

// Memory, cpu and pids of the cgroup at `path` (absolute, e.g. /concourse/<handle>) in each
// controller's hierarchy under /sys/fs/cgroup. Missing files read as 0.
cc_container_metrics read_metrics(const std::string& path);

}  // namespace concourse::guardian
