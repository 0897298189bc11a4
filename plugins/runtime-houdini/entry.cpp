// The houdini runtime plugin's one exported symbol. Capabilities are what houdini really does:
// terminals and raw:// rootfs; no network rules, no limits, no isolation.
#include <concourse/sdk.hpp>

#include "houdini.hpp"

CONCOURSE_SDK_DEFINE_PLUGIN(CC_KIND_RUNTIME, "houdini", "1.0.0",
                            "Concourse's houdini runtime: processes on the host (or chroot'ed into "
                            "a raw:// rootfs), no isolation; containers survive restarts",
                            CC_RT_CAP_TTY | CC_RT_CAP_ROOTFS_RAW, 0,
                            concourse::sdk::runtime_vtable<concourse::houdini::Houdini>())
