#include "worker/gc/strategy.hpp"

#include "core/error.hpp"
#include "core/plugin/call_context.hpp"

namespace concourse::worker::gc {
namespace {

struct Collected {
  std::vector<Decision> decisions;
  bool out_of_memory = false;
};

// Called from plugin code: nothing may propagate back through its C frames.
void collect(void* ctx, uint32_t kind, cc_str handle, cc_str reason) noexcept {
  auto* c = static_cast<Collected*>(ctx);
  try {
    c->decisions.push_back({kind,
                            handle.len == 0 ? std::string() : std::string(handle.ptr, handle.len),
                            reason.len == 0 ? std::string() : std::string(reason.ptr, reason.len)});
  } catch (...) {
    c->out_of_memory = true;
  }
}

}  // namespace

Strategy::Strategy(GcStrategyBinding binding) : binding_(std::move(binding)) {
  if (binding_.vtable == nullptr || binding_.vtable->plan == nullptr ||
      binding_.instance == nullptr)
    throw core::Error(CC_E_INVALID, "gc strategy " + binding_.name + " has no plan slot");
}

std::vector<Decision> Strategy::plan(const cc_gc_snapshot& snapshot,
                                     std::chrono::nanoseconds timeout) {
  std::lock_guard lock(mu_);
  Collected collected;
  cc_gc_decision_sink sink{sizeof(cc_gc_decision_sink), 0, &collected, &collect};
  core::plugin::CallContext call(timeout);
  cc_error err{};
  err.struct_size = sizeof err;
  int32_t rc = binding_.vtable->plan(binding_.instance, call.get(), &snapshot, &sink, &err);
  if (rc != CC_OK) {
    err.message[sizeof err.message - 1] = '\0';
    throw core::Error(rc, "gc strategy " + binding_.name + " plan: " + err.message);
  }
  if (collected.out_of_memory)
    throw core::Error(CC_E_INTERNAL, "gc strategy " + binding_.name + " plan: out of memory");
  return std::move(collected.decisions);
}

}  // namespace concourse::worker::gc
