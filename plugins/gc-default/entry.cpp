// gc-default's one exported symbol.
#include "strategy.hpp"

CONCOURSE_SDK_DEFINE_PLUGIN(CC_KIND_GC_STRATEGY, "default", "1.0.0",
                            "Concourse's worker sweepers: destroy exactly what the ATC marked "
                            "destroying",
                            0, 0,
                            concourse::sdk::gc_vtable<concourse::gc_default::DefaultStrategy>())
