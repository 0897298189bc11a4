// The guardian runtime plugin's one exported symbol. Capabilities are what it really does today:
// isolated containers (runc/crun), raw:// rootfs, terminals, cgroups v1 memory/cpu/pids limits
// and metrics. Not declared (so the host answers "unsupported"): net_in/net_out (containers get a
// loopback-only network namespace), disk and bandwidth limits, user namespaces for unprivileged
// containers, attach after a worker restart.
#include <concourse/sdk.hpp>

#include "guardian.hpp"

CONCOURSE_SDK_DEFINE_PLUGIN(CC_KIND_RUNTIME, "guardian", "0.1.0",
                            "Concourse's Guardian runtime: OCI containers run by runc (or crun) "
                            "with cgroups v1 limits; containers survive restarts",
                            CC_RT_CAP_TTY | CC_RT_CAP_ROOTFS_RAW | CC_RT_CAP_ISOLATION |
                                CC_RT_CAP_LIMIT_MEMORY | CC_RT_CAP_LIMIT_CPU | CC_RT_CAP_LIMIT_PID |
                                CC_RT_CAP_METRICS,
                            0, concourse::sdk::runtime_vtable<concourse::guardian::Guardian>())
