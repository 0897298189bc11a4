#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "strategy.hpp"

namespace {

using concourse::gc_disk_pressure::DiskPressureStrategy;
using concourse::gc_disk_pressure::parse_config;
constexpr uint64_t kMiB = 1024 * 1024;

cc_gc_object volume(const char* handle, const char* state, bool cache, bool referenced,
                    uint64_t bytes, int64_t last_used) {
  cc_gc_object o{};
  o.struct_size = sizeof o;
  o.kind = CC_GC_OBJECT_VOLUME;
  o.handle = concourse::sdk::str(handle);
  o.state = concourse::sdk::str(state);
  o.is_cache = cache;
  o.referenced = referenced;
  o.bytes = bytes;
  o.last_used_ns = last_used;
  return o;
}

struct Fixture {
  cc_host_api api{};
  concourse::sdk::Host host;
  std::vector<cc_gc_object> objs;
  std::vector<const cc_gc_object*> ptrs;
  cc_gc_snapshot snap{};
  Fixture() : host(&api) { api.struct_size = sizeof api; }

  std::vector<std::string> plan(const std::string& config, uint64_t total, uint64_t free) {
    ptrs.clear();
    for (const auto& o : objs)
      ptrs.push_back(&o);
    snap.struct_size = sizeof snap;
    snap.objects = ptrs.data();
    snap.object_count = ptrs.size();
    snap.disk_total_bytes = total;
    snap.disk_free_bytes = free;
    DiskPressureStrategy s(host, {config, "", ""});
    concourse::sdk::Call call(host, nullptr);
    std::vector<std::string> handles;
    for (const auto& d : s.plan(call, snap))
      handles.push_back(d.handle);
    return handles;
  }
};

using Handles = std::vector<std::string>;

}  // namespace

TEST(DiskPressure, WithoutPressureBehavesLikeTheDefault) {
  Fixture f;
  f.objs = {volume("dead", "destroying", false, false, 0, 0),
            volume("cold-cache", "", true, false, 50 * kMiB, 1)};
  EXPECT_EQ(f.plan(R"({"min_free_percent":10})", 1000 * kMiB, 500 * kMiB), Handles{"dead"});
}

TEST(DiskPressure, EvictsOnlyUnreferencedCachesOldestFirstUntilAboveThreshold) {
  Fixture f;
  f.objs = {volume("newest", "", true, false, 40 * kMiB, 300),
            volume("in-use-cache", "", true, true, 500 * kMiB, 1),
            volume("not-a-cache", "", false, false, 500 * kMiB, 2),
            volume("oldest", "", true, false, 40 * kMiB, 100),
            volume("middle", "", true, false, 40 * kMiB, 200),
            volume("dead", "destroying", false, false, 10 * kMiB, 0)};
  // 1000 MiB disk, 20 MiB free, want 100 MiB: dead frees 10, oldest 40, middle 40 = 110.
  EXPECT_EQ(f.plan(R"({"min_free_percent":10})", 1000 * kMiB, 20 * kMiB),
            (Handles{"dead", "oldest", "middle"}));
}

TEST(DiskPressure, ByteThresholdAndTheLargerOfBothWins) {
  Fixture f;
  f.objs = {volume("a", "", true, false, 100 * kMiB, 1),
            volume("b", "", true, false, 100 * kMiB, 2)};
  EXPECT_EQ(f.plan(R"({"min_free_bytes":104857600})", 1000 * kMiB, 50 * kMiB), Handles{"a"});
  EXPECT_EQ(f.plan(R"({"min_free_bytes":104857600,"min_free_percent":20})", 1000 * kMiB, 50 * kMiB),
            (Handles{"a", "b"}));
  EXPECT_TRUE(f.plan(R"({"min_free_bytes":104857600})", 1000 * kMiB, 200 * kMiB).empty());
}

TEST(DiskPressure, UnknownDiskSizeMeansNoEviction) {
  Fixture f;
  f.objs = {volume("a", "", true, false, 100 * kMiB, 1)};
  EXPECT_TRUE(f.plan("{}", 0, 0).empty());
}

TEST(DiskPressure, RejectsBadConfig) {
  EXPECT_THROW(parse_config("nope"), concourse::sdk::Error);
  EXPECT_THROW(parse_config(R"({"min_free_percent":150})"), concourse::sdk::Error);
  EXPECT_THROW(parse_config(R"({"min_free_bytes":-1})"), concourse::sdk::Error);
  EXPECT_THROW(parse_config(R"({"min_free":1})"), concourse::sdk::Error);
  EXPECT_DOUBLE_EQ(parse_config("{}").min_free_percent, 10.0);
  EXPECT_EQ(parse_config(R"({"min_free_bytes":7})").wanted(1000), 7u);
}

TEST(DiskPressure, BadConfigFailsInstanceCreateThroughTheAbi) {
  cc_host_api api{};
  api.struct_size = sizeof api;
  const cc_gc_vtable* vt = concourse::sdk::gc_vtable<DiskPressureStrategy>();
  std::string config = R"({"min_free_percent":"ten"})";
  cc_instance_params params{};
  params.struct_size = sizeof params;
  params.config_json = concourse::sdk::str(config);
  cc_instance* inst = nullptr;
  cc_error err = concourse::sdk::Host::new_error();
  EXPECT_EQ(vt->instance_create(&api, &params, &inst, &err), CC_E_INVALID);
  EXPECT_NE(std::string(err.message).find("min_free_percent"), std::string::npos);
}
