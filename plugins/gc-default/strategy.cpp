#include "strategy.hpp"

namespace concourse::gc_default {

DefaultStrategy::DefaultStrategy(const sdk::Host& host, const sdk::InstanceParams&)
    : sdk::GcStrategy(host) {}

std::vector<sdk::GcDecision> DefaultStrategy::plan(const sdk::Call&,
                                                   const cc_gc_snapshot& snapshot) {
  std::vector<sdk::GcDecision> out;
  for (size_t i = 0; i < snapshot.object_count; ++i) {
    const cc_gc_object* o = snapshot.objects[i];
    // An older host may hand us a shorter struct; state is part of 1.0, but be strict anyway.
    if (o == nullptr || o->struct_size < offsetof(cc_gc_object, state) + sizeof(cc_str))
      continue;
    if (sdk::view(o->state) == "destroying")
      out.push_back({o->kind, std::string(sdk::view(o->handle)), "marked destroying by the atc"});
  }
  return out;
}

std::vector<std::string> DefaultStrategy::describe() {
  return {"removes containers and volumes the ATC marked destroying, and nothing else"};
}

}  // namespace concourse::gc_default
