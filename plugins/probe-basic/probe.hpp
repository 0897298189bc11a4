// The basic health probe: what Concourse's worker healthcheck does, as a plugin. Garden must
// answer /ping and Baggageclaim must answer /volumes within the deadline; only transport errors
// and timeouts count, as in Concourse.
#pragma once

#include <concourse/sdk.hpp>

namespace concourse::probe_basic {

class BasicProbe final : public sdk::Probe {
 public:
  BasicProbe(const sdk::Host& host, const sdk::InstanceParams& params);
  sdk::ProbeResult probe(const sdk::Call& call) override;
};

}  // namespace concourse::probe_basic
