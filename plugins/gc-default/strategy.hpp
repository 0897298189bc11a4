// The default GC strategy: what Concourse's container and volume sweepers do. The ATC decides
// what is garbage (it marks rows destroying); the worker only carries that out, so this strategy
// proposes every object the snapshot says is destroying and nothing else.
#pragma once

#include <concourse/sdk.hpp>

namespace concourse::gc_default {

class DefaultStrategy final : public sdk::GcStrategy {
 public:
  DefaultStrategy(const sdk::Host& host, const sdk::InstanceParams& params);
  std::vector<sdk::GcDecision> plan(const sdk::Call& call, const cc_gc_snapshot& snapshot) override;
  std::vector<std::string> describe() override;
};

}  // namespace concourse::gc_default
