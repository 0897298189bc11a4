#include "worker/gc/snapshot.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "worker/gc/tests/test_support.hpp"

namespace concourse::worker::gc {
namespace {

namespace fs = std::filesystem;

LocalVolume make_volume(const std::string& root, const std::string& handle,
                        std::map<std::string, std::string> props, size_t bytes) {
  LocalVolume v;
  v.handle = handle;
  v.path = root + "/" + handle + "/volume";
  v.properties = std::move(props);
  fs::create_directories(v.path);
  std::ofstream(v.path + "/data") << std::string(bytes, 'x');
  return v;
}

TEST(GcSnapshot, ContainersAreLocalPlusUnlistedDestroying) {
  auto objs = container_objects({"a", "b", "a"}, {"b", "gone"});
  ASSERT_EQ(objs.size(), 3u);
  EXPECT_EQ(objs[0].handle, "a");
  EXPECT_EQ(objs[0].state, "");
  EXPECT_TRUE(objs[0].referenced);
  EXPECT_EQ(objs[1].state, "destroying");
  EXPECT_FALSE(objs[1].referenced);
  EXPECT_EQ(objs[2].handle, "gone");
  EXPECT_EQ(objs[2].state, "destroying");
  EXPECT_EQ(objs[2].kind, static_cast<uint32_t>(CC_GC_OBJECT_CONTAINER));
}

TEST(GcSnapshot, VolumesAreClassifiedByPropertiesAndSizedOnlyWhenRemovable) {
  testing::TempDir dir;
  std::vector<LocalVolume> local{
      make_volume(dir.path(), "plain", {}, 10000),
      make_volume(dir.path(), "warm-cache", {{kCacheProperty, "resource"}}, 10000),
      make_volume(dir.path(), "cold-cache",
                  {{kCacheProperty, "task"}, {kCacheReleasedProperty, "true"}}, 20000),
      make_volume(dir.path(), "released-non-cache", {{kCacheReleasedProperty, "true"}}, 10),
      make_volume(dir.path(), "dead", {}, 5000)};
  local[1].ttl_seconds = 7;
  auto objs = volume_objects(local, {"dead", "elsewhere"});
  ASSERT_EQ(objs.size(), 6u);
  EXPECT_TRUE(objs[0].referenced);
  EXPECT_FALSE(objs[0].is_cache);
  EXPECT_EQ(objs[0].bytes, 0u);
  EXPECT_TRUE(objs[1].is_cache);
  EXPECT_TRUE(objs[1].referenced);
  EXPECT_EQ(objs[1].ttl_ns, 7'000'000'000);
  EXPECT_TRUE(objs[2].is_cache);
  EXPECT_FALSE(objs[2].referenced);
  EXPECT_GE(objs[2].bytes, 20000u);
  EXPECT_GT(objs[2].created_at_ns, 0);
  EXPECT_GT(objs[2].last_used_ns, 0);
  EXPECT_TRUE(objs[3].referenced);  // "released" means nothing on a volume that is no cache
  EXPECT_EQ(objs[4].state, "destroying");
  EXPECT_GE(objs[4].bytes, 5000u);
  EXPECT_EQ(objs[5].handle, "elsewhere");
}

TEST(GcSnapshot, HostRuleAdmitsOnlyDestroyingAndUnreferencedCaches) {
  testing::TempDir dir;
  auto vols = volume_objects(
      {make_volume(dir.path(), "warm", {{kCacheProperty, "resource"}}, 1),
       make_volume(dir.path(), "cold",
                   {{kCacheProperty, "resource"}, {kCacheReleasedProperty, "true"}}, 1),
       make_volume(dir.path(), "dead", {}, 1), make_volume(dir.path(), "live", {}, 1)},
      {"dead"});
  Snapshot vs(std::move(vols), {}, 1);
  EXPECT_TRUE(vs.may_remove(CC_GC_OBJECT_VOLUME, "dead"));
  EXPECT_TRUE(vs.may_remove(CC_GC_OBJECT_VOLUME, "cold"));
  EXPECT_FALSE(vs.may_remove(CC_GC_OBJECT_VOLUME, "warm"));
  EXPECT_FALSE(vs.may_remove(CC_GC_OBJECT_VOLUME, "live"));
  EXPECT_FALSE(vs.may_remove(CC_GC_OBJECT_VOLUME, "unknown"));
  EXPECT_FALSE(vs.may_remove(CC_GC_OBJECT_CONTAINER, "dead"));

  auto cs_objs = container_objects({"c1", "c2"}, {"c2"});
  cs_objs[0].is_cache = true;  // even a mislabelled container is never evicted as a cache
  cs_objs[0].referenced = false;
  Snapshot cs(std::move(cs_objs), {}, 1);
  EXPECT_FALSE(cs.may_remove(CC_GC_OBJECT_CONTAINER, "c1"));
  EXPECT_TRUE(cs.may_remove(CC_GC_OBJECT_CONTAINER, "c2"));
}

TEST(GcSnapshot, CViewMirrorsTheObjects) {
  GcObject o;
  o.handle = "v1";
  o.state = "destroying";
  o.properties = {{"a", "1"}, {"b", "2"}};
  o.bytes = 42;
  o.referenced = false;
  Snapshot s({o}, DiskStats{100, 50, 10, 5}, 99);
  const cc_gc_snapshot* c = s.get();
  ASSERT_EQ(c->object_count, 1u);
  EXPECT_EQ(c->struct_size, sizeof(cc_gc_snapshot));
  EXPECT_EQ(c->disk_total_bytes, 100u);
  EXPECT_EQ(c->disk_free_bytes, 50u);
  EXPECT_EQ(c->inodes_free, 5u);
  EXPECT_EQ(c->now_ns, 99);
  const cc_gc_object* co = c->objects[0];
  EXPECT_EQ(co->struct_size, sizeof(cc_gc_object));
  EXPECT_EQ(std::string(co->handle.ptr, co->handle.len), "v1");
  EXPECT_EQ(std::string(co->state.ptr, co->state.len), "destroying");
  ASSERT_EQ(co->property_count, 2u);
  EXPECT_EQ(std::string(co->properties[1].key.ptr, co->properties[1].key.len), "b");
  EXPECT_EQ(co->bytes, 42u);
  EXPECT_EQ(co->referenced, 0u);
}

TEST(GcSnapshot, DiskStatsOfARealDirectory) {
  auto d = disk_stats("/tmp");
  EXPECT_GT(d.total_bytes, 0u);
  EXPECT_LE(d.free_bytes, d.total_bytes);
  EXPECT_EQ(disk_stats("").total_bytes, 0u);
  EXPECT_EQ(disk_stats("/nonexistent/dir").total_bytes, 0u);
}

}  // namespace
}  // namespace concourse::worker::gc
