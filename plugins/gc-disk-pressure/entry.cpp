// gc-disk-pressure's one exported symbol.
#include "strategy.hpp"

CONCOURSE_SDK_DEFINE_PLUGIN(
    CC_KIND_GC_STRATEGY, "disk-pressure", "1.0.0",
    "Concourse's sweepers plus eviction of unreferenced cache volumes, oldest first, while the "
    "volumes filesystem is short of free space",
    0, 0, concourse::sdk::gc_vtable<concourse::gc_disk_pressure::DiskPressureStrategy>())
