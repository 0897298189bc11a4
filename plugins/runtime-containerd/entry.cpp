// The containerd runtime plugin's one exported symbol. Capabilities are what it really does:
// raw:// rootfs, isolation, privileged vs unprivileged, cpu/memory/pid limits, terminals, and
// re-attaching to processes after a worker restart. No network rules (no CNI yet), no metrics.
#include <concourse/sdk.hpp>

#include "runtime.hpp"

CONCOURSE_SDK_DEFINE_PLUGIN(
    CC_KIND_RUNTIME, "containerd", "1.0.0",
    "containers through a containerd daemon (started by the worker, or an existing socket) over "
    "its gRPC API",
    CC_RT_CAP_ROOTFS_RAW | CC_RT_CAP_ISOLATION | CC_RT_CAP_PRIVILEGED | CC_RT_CAP_LIMIT_CPU |
        CC_RT_CAP_LIMIT_MEMORY | CC_RT_CAP_LIMIT_PID | CC_RT_CAP_TTY |
        CC_RT_CAP_ATTACH_AFTER_RESTART,
    CC_PLUGIN_NO_UNLOAD, concourse::sdk::runtime_vtable<concourse::containerd::ContainerdRuntime>())
