// The host's side of one GC strategy instance: calls plan() through the C ABI, one call at a
// time as gc.h promises, and copies the proposals out of the plugin's sink calls.
#pragma once

#include <concourse/gc.h>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace concourse::worker::gc {

struct GcStrategyBinding {
  const cc_gc_vtable* vtable = nullptr;
  cc_instance* instance = nullptr;  // owned by whoever created it; outlives the Sweeper
  std::string name;                 // "name@version", for log lines
};

struct Decision {
  uint32_t kind = 0;
  std::string handle, reason;
};

class Strategy {
 public:
  explicit Strategy(GcStrategyBinding binding);
  const std::string& name() const { return binding_.name; }
  // Throws core::Error with the plugin's code and message when plan() fails.
  std::vector<Decision> plan(const cc_gc_snapshot& snapshot, std::chrono::nanoseconds timeout);

 private:
  GcStrategyBinding binding_;
  std::mutex mu_;
};

}  // namespace concourse::worker::gc
