// Disk-pressure GC: everything the default strategy does (remove what the ATC marked destroying),
// and, while the volumes filesystem has less free space than configured, evict cache volumes the
// ATC no longer references, least recently used first, until the projected free space is back
// above the threshold. Caches are only a speed-up, so losing a cold one costs a re-fetch, whereas
// a full disk fails every build on the worker.
//
// Config JSON: {"min_free_percent": 10} and/or {"min_free_bytes": 5368709120}; when both are
// given the larger threshold wins. Default: 10 percent.
#pragma once

#include <concourse/sdk.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace concourse::gc_disk_pressure {

struct Thresholds {
  double min_free_percent = 10.0;
  uint64_t min_free_bytes = 0;
  // The free bytes wanted on a filesystem of `total` bytes.
  uint64_t wanted(uint64_t total) const;
};

// Throws sdk::Error(CC_E_INVALID) on malformed JSON or out-of-range values.
Thresholds parse_config(const std::string& json);

class DiskPressureStrategy final : public sdk::GcStrategy {
 public:
  DiskPressureStrategy(const sdk::Host& host, const sdk::InstanceParams& params);
  std::vector<sdk::GcDecision> plan(const sdk::Call& call, const cc_gc_snapshot& snapshot) override;
  std::vector<std::string> describe() override;

 private:
  void evict(const cc_gc_snapshot& snapshot, std::vector<sdk::GcDecision>& out) const;
  Thresholds thresholds_;
};

}  // namespace concourse::gc_disk_pressure
