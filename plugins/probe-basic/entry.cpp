// probe-basic's one exported symbol.
#include "probe.hpp"

CONCOURSE_SDK_DEFINE_PLUGIN(CC_KIND_HEALTH_PROBE, "basic", "1.0.0",
                            "Garden ping and Baggageclaim volume listing, as Concourse's worker "
                            "healthcheck does",
                            0, 0,
                            concourse::sdk::probe_vtable<concourse::probe_basic::BasicProbe>())
