// The guardian runtime plugin's one exported symbol. Capabilities are what it really does today:
// isolated containers (runc/crun), raw:// rootfs, terminals, cgroups v1 memory/cpu/pids limits
// and metrics, and networking: a namespace per container on a bridge, net_in port mappings
// (TCP, DNAT) and net_out allow rules (iptables). Not declared (so the host answers
// "unsupported"): disk and bandwidth limits, user namespaces for unprivileged containers,
// attach after a worker restart.
#include <concourse/sdk.hpp>

#include "guardian.hpp"

CONCOURSE_SDK_DEFINE_PLUGIN(CC_KIND_RUNTIME, "guardian", "0.2.0",
                            "Concourse's Guardian runtime: OCI containers run by runc (or crun) "
                            "with cgroups v1 limits and bridged networking; containers survive "
                            "restarts",
                            CC_RT_CAP_TTY | CC_RT_CAP_ROOTFS_RAW | CC_RT_CAP_ISOLATION |
                                CC_RT_CAP_LIMIT_MEMORY | CC_RT_CAP_LIMIT_CPU | CC_RT_CAP_LIMIT_PID |
                                CC_RT_CAP_METRICS | CC_RT_CAP_NET_IN | CC_RT_CAP_NET_OUT,
                            0, concourse::sdk::runtime_vtable<concourse::guardian::Guardian>())
