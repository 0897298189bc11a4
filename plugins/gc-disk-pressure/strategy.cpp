#include "strategy.hpp"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

namespace concourse::gc_disk_pressure {
namespace {

bool has_full_1_0_layout(const cc_gc_object* o) {
  return o != nullptr && o->struct_size >= offsetof(cc_gc_object, build_id) + sizeof(int64_t);
}

bool destroying(const cc_gc_object& o) {
  return sdk::view(o.state) == "destroying";
}

// Least recently used first; creation time stands in when use was never recorded.
int64_t age_key(const cc_gc_object& o) {
  return o.last_used_ns != 0 ? o.last_used_ns : o.created_at_ns;
}

std::string human_bytes(uint64_t b) {
  return std::to_string(b / (1024 * 1024)) + "MiB";
}

}  // namespace

uint64_t Thresholds::wanted(uint64_t total) const {
  auto by_percent =
      static_cast<uint64_t>(std::ceil(static_cast<double>(total) * min_free_percent / 100.0));
  return std::max(by_percent, min_free_bytes);
}

Thresholds parse_config(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    throw sdk::Error(CC_E_INVALID, "disk-pressure config: expected a JSON object");
  Thresholds t;
  if (auto it = j.find("min_free_percent"); it != j.end()) {
    if (!it->is_number() || it->get<double>() < 0 || it->get<double>() > 100)
      throw sdk::Error(CC_E_INVALID, "disk-pressure config: min_free_percent must be 0..100");
    t.min_free_percent = it->get<double>();
  }
  if (auto it = j.find("min_free_bytes"); it != j.end()) {
    if (!it->is_number_unsigned())
      throw sdk::Error(CC_E_INVALID,
                       "disk-pressure config: min_free_bytes must be a non-negative integer");
    t.min_free_bytes = it->get<uint64_t>();
    if (j.find("min_free_percent") == j.end())
      t.min_free_percent = 0;  // bytes alone were asked for
  }
  for (const auto& [key, value] : j.items()) {
    if (key != "min_free_percent" && key != "min_free_bytes")
      throw sdk::Error(CC_E_INVALID, "disk-pressure config: unknown key '" + key + "'");
  }
  return t;
}

DiskPressureStrategy::DiskPressureStrategy(const sdk::Host& host, const sdk::InstanceParams& params)
    : sdk::GcStrategy(host), thresholds_(parse_config(params.config_json)) {}

std::vector<sdk::GcDecision> DiskPressureStrategy::plan(const sdk::Call&,
                                                        const cc_gc_snapshot& snapshot) {
  std::vector<sdk::GcDecision> out;
  for (size_t i = 0; i < snapshot.object_count; ++i) {
    const cc_gc_object* o = snapshot.objects[i];
    if (has_full_1_0_layout(o) && destroying(*o))
      out.push_back({o->kind, std::string(sdk::view(o->handle)), "marked destroying by the atc"});
  }
  evict(snapshot, out);
  return out;
}

void DiskPressureStrategy::evict(const cc_gc_snapshot& snapshot,
                                 std::vector<sdk::GcDecision>& out) const {
  if (snapshot.disk_total_bytes == 0)
    return;  // the host could not stat the filesystem: no pressure can be measured
  uint64_t wanted = thresholds_.wanted(snapshot.disk_total_bytes);
  uint64_t projected = snapshot.disk_free_bytes;
  std::vector<const cc_gc_object*> candidates;
  for (size_t i = 0; i < snapshot.object_count; ++i) {
    const cc_gc_object* o = snapshot.objects[i];
    if (!has_full_1_0_layout(o) || o->kind != CC_GC_OBJECT_VOLUME)
      continue;
    if (destroying(*o))
      projected += o->bytes;  // already going this round
    else if (o->is_cache != 0 && o->referenced == 0)
      candidates.push_back(o);
  }
  if (projected >= wanted)
    return;
  std::stable_sort(
      candidates.begin(), candidates.end(),
      [](const cc_gc_object* a, const cc_gc_object* b) { return age_key(*a) < age_key(*b); });
  for (const cc_gc_object* o : candidates) {
    if (projected >= wanted)
      break;
    projected += o->bytes;
    out.push_back({CC_GC_OBJECT_VOLUME, std::string(sdk::view(o->handle)),
                   "disk pressure: free " + human_bytes(snapshot.disk_free_bytes) + " below " +
                       human_bytes(wanted) + ", evicting unreferenced cache"});
  }
  if (projected < wanted) {
    host().warn("disk-pressure-unrelieved",
                {{"wanted_free", human_bytes(wanted)}, {"projected_free", human_bytes(projected)}});
  }
}

std::vector<std::string> DiskPressureStrategy::describe() {
  return {"removes containers and volumes the ATC marked destroying",
          "evicts unreferenced cache volumes, least recently used first, while free space on the "
          "volumes filesystem is below max(" +
              std::to_string(thresholds_.min_free_percent) + "% of total, " +
              std::to_string(thresholds_.min_free_bytes) + " bytes)"};
}

}  // namespace concourse::gc_disk_pressure
