#include "worker/gc/snapshot.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <filesystem>
#include <unordered_set>

namespace concourse::worker::gc {
namespace {

namespace fs = std::filesystem;

int64_t ns_of(const struct statx_timestamp& t) {
  return static_cast<int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
}

// Birth time where the filesystem records it, else the last status change: a volume directory
// is created once and only renamed (init -> live), so either approximates its creation.
void stat_times(const std::string& path, GcObject& o) {
  struct statx st {};
  if (path.empty() ||
      ::statx(AT_FDCWD, path.c_str(), 0, STATX_BTIME | STATX_CTIME | STATX_MTIME, &st) != 0)
    return;
  o.created_at_ns = (st.stx_mask & STATX_BTIME) != 0 ? ns_of(st.stx_btime) : ns_of(st.stx_ctime);
  // Writing into a cache touches its top-level directory only when entries come or go, so this
  // is a lower bound on the last use; it still orders cold caches before warm ones.
  o.last_used_ns = ns_of(st.stx_mtime);
}

// Allocated bytes below path, each inode once (copy-on-write children share hardlinks).
uint64_t allocated_bytes(const std::string& path) {
  std::error_code ec;
  uint64_t total = 0;
  std::unordered_set<uint64_t> seen;
  fs::recursive_directory_iterator it(path, fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0)
      continue;
    if (st.st_nlink > 1 && !seen.insert(static_cast<uint64_t>(st.st_ino)).second)
      continue;
    total += static_cast<uint64_t>(st.st_blocks) * 512;
  }
  return total;
}

bool is_cache(const std::map<std::string, std::string>& props) {
  auto it = props.find(kCacheProperty);
  return it != props.end() && !it->second.empty() && it->second != "false";
}

bool released(const std::map<std::string, std::string>& props) {
  auto it = props.find(kCacheReleasedProperty);
  return it != props.end() && it->second == "true";
}

GcObject destroying_only(uint32_t kind, const std::string& handle) {
  GcObject o;
  o.kind = kind;
  o.handle = handle;
  o.state = "destroying";
  o.referenced = false;
  return o;
}

}  // namespace

DiskStats disk_stats(const std::string& dir) {
  struct statvfs st {};
  if (dir.empty() || ::statvfs(dir.c_str(), &st) != 0)
    return {};
  uint64_t frag = st.f_frsize != 0 ? st.f_frsize : st.f_bsize;
  return {static_cast<uint64_t>(st.f_blocks) * frag, static_cast<uint64_t>(st.f_bavail) * frag,
          static_cast<uint64_t>(st.f_files), static_cast<uint64_t>(st.f_favail)};
}

std::vector<GcObject> container_objects(const std::vector<std::string>& local,
                                        const std::set<std::string>& destroying) {
  std::vector<GcObject> out;
  std::set<std::string> listed;
  for (const auto& h : local) {
    if (!listed.insert(h).second)
      continue;
    GcObject o;
    o.kind = CC_GC_OBJECT_CONTAINER;
    o.handle = h;
    if (destroying.count(h) != 0) {
      o.state = "destroying";
      o.referenced = false;
    }
    out.push_back(std::move(o));
  }
  for (const auto& h : destroying) {
    if (listed.count(h) == 0)
      out.push_back(destroying_only(CC_GC_OBJECT_CONTAINER, h));
  }
  return out;
}

std::vector<GcObject> volume_objects(const std::vector<LocalVolume>& local,
                                     const std::set<std::string>& destroying) {
  std::vector<GcObject> out;
  std::set<std::string> listed;
  for (const auto& v : local) {
    if (!listed.insert(v.handle).second)
      continue;
    GcObject o;
    o.kind = CC_GC_OBJECT_VOLUME;
    o.handle = v.handle;
    o.properties = v.properties;
    o.ttl_ns = v.ttl_seconds * 1'000'000'000;
    o.is_cache = is_cache(v.properties);
    bool marked = destroying.count(v.handle) != 0;
    o.state = marked ? "destroying" : "";
    o.referenced = !marked && !(o.is_cache && released(v.properties));
    stat_times(v.path, o);
    // Sizing walks the tree, so only volumes that may go this round are measured.
    if (!o.referenced && !v.path.empty())
      o.bytes = allocated_bytes(v.path);
    out.push_back(std::move(o));
  }
  for (const auto& h : destroying) {
    if (listed.count(h) == 0)
      out.push_back(destroying_only(CC_GC_OBJECT_VOLUME, h));
  }
  return out;
}

Snapshot::Snapshot(std::vector<GcObject> objects, DiskStats disk, int64_t now_ns)
    : objects_(std::move(objects)) {
  properties_.resize(objects_.size());
  c_objects_.resize(objects_.size());
  for (size_t i = 0; i < objects_.size(); ++i) {
    const GcObject& o = objects_[i];
    for (const auto& [k, v] : o.properties)
      properties_[i].push_back(cc_kv{{k.data(), k.size()}, {v.data(), v.size()}});
    cc_gc_object& c = c_objects_[i];
    c.struct_size = sizeof(cc_gc_object);
    c.kind = o.kind;
    c.handle = {o.handle.data(), o.handle.size()};
    c.state = {o.state.data(), o.state.size()};
    c.created_at_ns = o.created_at_ns;
    c.last_used_ns = o.last_used_ns;
    c.bytes = o.bytes;
    c.ttl_ns = o.ttl_ns;
    c.properties = properties_[i].empty() ? nullptr : properties_[i].data();
    c.property_count = properties_[i].size();
    c.is_cache = o.is_cache ? 1 : 0;
    c.referenced = o.referenced ? 1 : 0;
    c.build_id = 0;
    index_[{o.kind, o.handle}] = i;
  }
  for (const auto& c : c_objects_)
    pointers_.push_back(&c);
  snapshot_.struct_size = sizeof(cc_gc_snapshot);
  snapshot_.objects = pointers_.empty() ? nullptr : pointers_.data();
  snapshot_.object_count = pointers_.size();
  snapshot_.disk_total_bytes = disk.total_bytes;
  snapshot_.disk_free_bytes = disk.free_bytes;
  snapshot_.inodes_total = disk.inodes_total;
  snapshot_.inodes_free = disk.inodes_free;
  snapshot_.now_ns = now_ns;
}

const GcObject* Snapshot::find(uint32_t kind, const std::string& handle) const {
  auto it = index_.find({kind, handle});
  return it == index_.end() ? nullptr : &objects_[it->second];
}

bool Snapshot::may_remove(uint32_t kind, const std::string& handle) const {
  const GcObject* o = find(kind, handle);
  if (o == nullptr)
    return false;
  if (o->state == "destroying")
    return true;
  return kind == CC_GC_OBJECT_VOLUME && o->is_cache && !o->referenced;
}

}  // namespace concourse::worker::gc
