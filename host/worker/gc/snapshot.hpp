// The gc.h snapshot the host hands a strategy, and the host's own rule for what may go. A
// strategy only proposes; the rule here is what keeps a buggy or hostile plugin from deleting
// anything the ATC still references.
#pragma once

#include <concourse/gc.h>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "worker/gc/local_inventory.hpp"

namespace concourse::worker::gc {

// Volume properties by which the worker tells caches apart. The ATC talks to the worker only
// through the destroying lists, so whether a cache is still wanted is carried on the volume.
inline constexpr const char* kCacheProperty = "concourse:cache";  // "resource", "task", ...
inline constexpr const char* kCacheReleasedProperty = "concourse:cache-released";  // "true"

struct GcObject {
  uint32_t kind = CC_GC_OBJECT_VOLUME;
  std::string handle;
  std::string state;  // "destroying" when the ATC listed it; otherwise unknown (empty)
  int64_t created_at_ns = 0;
  int64_t last_used_ns = 0;
  uint64_t bytes = 0;
  int64_t ttl_ns = 0;
  std::map<std::string, std::string> properties;
  bool is_cache = false;
  bool referenced = true;
};

struct DiskStats {
  uint64_t total_bytes = 0, free_bytes = 0, inodes_total = 0, inodes_free = 0;
};
// statvfs of dir; zeros when dir is empty or cannot be inspected.
DiskStats disk_stats(const std::string& dir);

// Objects for one container sweep: everything local plus ATC-destroying handles that are not
// listed (gone already, or created after the listing), so each destroying handle gets a DELETE.
std::vector<GcObject> container_objects(const std::vector<std::string>& local,
                                        const std::set<std::string>& destroying);
// The same for volumes, classified by their properties and sized from their paths on disk.
std::vector<GcObject> volume_objects(const std::vector<LocalVolume>& local,
                                     const std::set<std::string>& destroying);

// Holds the C view of the objects; valid while this lives and `objects` is not modified.
class Snapshot {
 public:
  Snapshot(std::vector<GcObject> objects, DiskStats disk, int64_t now_ns);
  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;

  const cc_gc_snapshot* get() const { return &snapshot_; }
  // The host's rule: only what the ATC marked destroying, or a local cache volume it no longer
  // references. Anything else is refused whatever a strategy says.
  bool may_remove(uint32_t kind, const std::string& handle) const;
  const GcObject* find(uint32_t kind, const std::string& handle) const;

 private:
  std::vector<GcObject> objects_;
  std::vector<std::vector<cc_kv>> properties_;
  std::vector<cc_gc_object> c_objects_;
  std::vector<const cc_gc_object*> pointers_;
  std::map<std::pair<uint32_t, std::string>, size_t> index_;
  cc_gc_snapshot snapshot_{};
};

}  // namespace concourse::worker::gc
