#include "worker/resource_type_installs.hpp"

#include <algorithm>
#include <filesystem>

#include "core/error.hpp"
#include "core/plugin/call_context.hpp"
#include "core/plugin/semver.hpp"

namespace concourse::worker {
namespace fs = std::filesystem;
namespace plugin = concourse::core::plugin;

namespace {

constexpr const char* kUniqueHistoryProperty = "concourse:resource-type-unique-version-history";
constexpr int kMaxAttempts = 3;

cc_str as_str(const std::string& s) {
  return cc_str{s.data(), s.size()};
}

std::string id_of(const std::string& type, const std::string& version) {
  return type + "@" + version;
}

// a newer than b: semver precedence; a parsable version beats an unparsable one.
bool newer(const std::string& a, const std::string& b) {
  auto va = plugin::parse_semver(a);
  auto vb = plugin::parse_semver(b);
  if (va && vb)
    return *vb < *va;
  if (va || vb)
    return va.has_value();
  return b < a;
}

std::string prop(const baggageclaim::Volume& v, const char* key) {
  auto it = v.properties.find(key);
  return it == v.properties.end() ? "" : it->second;
}

}  // namespace

ResourceTypeInstalls::ResourceTypeInstalls(std::string dir, InstallerBinding installer,
                                           baggageclaim::VolumeStore& volumes,
                                           std::string volumes_dir,
                                           std::chrono::milliseconds settle,
                                           concourse::log::Logger log)
    : dir_(std::move(dir)),
      installer_(std::move(installer)),
      volumes_(volumes),
      volumes_dir_(std::move(volumes_dir)),
      settle_(settle),
      log_(std::move(log)) {}

std::vector<ResourceTypeInstalls::Found> ResourceTypeInstalls::discover() {
  std::vector<Found> out;
  plugin::CallContext call(std::chrono::seconds(30));
  cc_resource_type_sink sink{};
  sink.struct_size = sizeof sink;
  sink.ctx = &out;
  sink.add = [](void* ctx, const cc_resource_type_entry* e) {
    if (e == nullptr || e->struct_size < sizeof(cc_resource_type_entry))
      return;
    Found f;
    f.entry = *e;  // strings are re-pointed at f's copies before every use
    f.type.assign(e->type.ptr, e->type.len);
    f.version.assign(e->version.ptr, e->version.len);
    f.rootfs.assign(e->rootfs_path.ptr, e->rootfs_path.len);
    static_cast<std::vector<Found>*>(ctx)->push_back(std::move(f));
  };
  cc_error err{};
  err.struct_size = sizeof err;
  if (int32_t rc =
          installer_.vtable->discover(installer_.instance, call.get(), as_str(dir_), &sink, &err)) {
    throw core::Error(rc, installer_.name + " discover " + dir_ + ": " + err.message);
  }
  return out;
}

bool ResourceTypeInstalls::settled(const std::string& rootfs) const {
  auto limit = fs::file_time_type::clock::now() - settle_;
  std::error_code ec;
  for (const auto& p :
       {fs::path(rootfs), fs::path(rootfs).parent_path() / "resource_metadata.json"}) {
    auto t = fs::last_write_time(p, ec);
    if (ec || t > limit)
      return false;
  }
  return true;
}

bool ResourceTypeInstalls::install(const Found& f) {
  std::string id = id_of(f.type, f.version);
  std::string handle =
      "resource-type-" + f.type + "-" + f.version + "-" + baggageclaim::new_handle().substr(0, 8);
  if (!baggageclaim::valid_handle(handle))
    handle = baggageclaim::new_handle();
  baggageclaim::Properties props{{kTypeProperty, f.type}, {kVersionProperty, f.version}};
  if (f.entry.unique_version_history != 0)
    props[kUniqueHistoryProperty] = "true";
  auto t0 = std::chrono::steady_clock::now();
  baggageclaim::Volume v;
  try {
    v = volumes_.create(handle, {}, props, f.entry.privileged != 0, 0);
  } catch (const std::exception& e) {
    log_.error("resource-type-install-failed", {{"resource_type", id}, {"error", e.what()}});
    return false;
  }
  cc_resource_type_entry entry = f.entry;
  entry.struct_size = sizeof entry;
  entry.type = as_str(f.type);
  entry.version = as_str(f.version);
  entry.rootfs_path = as_str(f.rootfs);
  plugin::CallContext call(std::chrono::minutes(10));
  cc_error err{};
  err.struct_size = sizeof err;
  int32_t rc = installer_.vtable->install(installer_.instance, call.get(), &entry, as_str(v.path),
                                          nullptr, nullptr, &err);
  if (rc == CC_OK)
    rc = installer_.vtable->verify(installer_.instance, call.get(), as_str(v.path), &err);
  if (rc != CC_OK) {
    log_.warn("resource-type-install-failed",
              {{"resource_type", id}, {"source", f.rootfs}, {"error", err.message}});
    volumes_.destroy(handle);
    return false;
  }
  volumes_.set_property(handle, kInstalledProperty, "true");
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  log_.info("resource-type-installed", {{"resource_type", id},
                                        {"volume", handle},
                                        {"path", v.path},
                                        {"duration_ms", std::to_string(ms)}});
  return true;
}

SyncResult ResourceTypeInstalls::sync(bool changed) {
  SyncResult result;
  if (changed)
    failures_.clear();  // the operator touched the directory: give failed sources a new chance
  std::vector<Found> found;
  try {
    found = discover();
  } catch (const std::exception& e) {
    log_.warn("resource-types-discover-failed", {{"error", e.what()}});
    return collect(std::move(result));
  }
  std::set<std::string> have;
  for (const auto& v : volumes_.list({})) {
    if (prop(v, kTypeProperty).empty())
      continue;
    if (prop(v, kInstalledProperty) == "true") {
      have.insert(id_of(prop(v, kTypeProperty), prop(v, kVersionProperty)));
    } else {
      log_.info("resource-type-incomplete-removed", {{"volume", v.handle}});
      volumes_.destroy(v.handle);  // an install interrupted by a crash
    }
  }
  for (const auto& f : found) {
    std::string id = id_of(f.type, f.version);
    std::string key = id + "@" + f.rootfs;
    if (have.count(id) != 0 || failures_[key] >= kMaxAttempts || !settled(f.rootfs))
      continue;
    if (install(f)) {
      have.insert(id);
      result.installed.push_back(id);
      failures_.erase(key);
    } else if (++failures_[key] == kMaxAttempts) {
      log_.error("resource-type-install-given-up",
                 {{"resource_type", id}, {"note", "change the directory to retry"}});
      result.failed.push_back(id);
    } else {
      result.failed.push_back(id);
    }
  }
  return collect(std::move(result));
}

// Newest installed version per type is advertised; the rest are superseded and go once no
// container rootfs (a copy-on-write child) still refers to them.
SyncResult ResourceTypeInstalls::collect(SyncResult result) {
  std::map<std::string, baggageclaim::Volume> newest;
  std::vector<baggageclaim::Volume> installed;
  for (auto& v : volumes_.list({{kInstalledProperty, "true"}})) {
    std::string type = prop(v, kTypeProperty);
    if (type.empty())
      continue;
    auto it = newest.find(type);
    if (it == newest.end() || newer(prop(v, kVersionProperty), prop(it->second, kVersionProperty)))
      newest[type] = v;
    installed.push_back(std::move(v));
  }
  auto busy = volumes_with_children(volumes_dir_);
  for (const auto& v : installed) {
    if (newest[prop(v, kTypeProperty)].handle == v.handle)
      continue;
    if (prop(v, kSupersededProperty) != "true") {
      volumes_.set_property(v.handle, kSupersededProperty, "true");
      log_.info("resource-type-superseded",
                {{"volume", v.handle},
                 {"resource_type", id_of(prop(v, kTypeProperty), prop(v, kVersionProperty))}});
    }
    if (busy.count(v.handle) != 0)
      continue;
    try {
      volumes_.destroy(v.handle);
      result.removed.push_back(v.handle);
      log_.info("resource-type-removed", {{"volume", v.handle}, {"reason", "superseded, unused"}});
    } catch (const std::exception& e) {
      log_.warn("resource-type-remove-failed", {{"volume", v.handle}, {"error", e.what()}});
    }
  }
  auto list = nlohmann::json::array();
  for (const auto& [type, v] : newest) {
    list.push_back({{"type", type},
                    {"image", "raw://" + v.path},
                    {"version", prop(v, kVersionProperty)},
                    {"privileged", v.privileged},
                    {"unique_version_history", prop(v, kUniqueHistoryProperty) == "true"}});
  }
  std::lock_guard lock(mu_);
  result.advertised_changed = list != advertised_;
  advertised_ = std::move(list);
  return result;
}

nlohmann::json ResourceTypeInstalls::advertised() const {
  std::lock_guard lock(mu_);
  return advertised_;
}

std::set<std::string> ResourceTypeInstalls::volumes_with_children(const std::string& volumes_dir) {
  std::set<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(fs::path(volumes_dir) / "live", ec)) {
    std::error_code lec;
    auto target = fs::read_symlink(e.path() / "parent", lec);
    if (!lec)
      out.insert(target.filename().string());
  }
  return out;
}

}  // namespace concourse::worker
