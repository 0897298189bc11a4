// Resource types installed into Baggageclaim volumes by the installer plugin, and what the worker
// advertises from them. sync() discovers the --resource-types directory, installs each new
// (type, version) into a fresh volume (properties kTypeProperty, kVersionProperty), verifies it
// and only then marks it installed; advertised() is the newest installed version per type with
// image raw://<volume path>. Older installs of a type are marked superseded and removed once no
// copy-on-write child (a container's rootfs) refers to them any more: a running build keeps its
// old version, new checks get the new one.
#pragma once

#include <concourse/resource_type.h>

#include <chrono>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "core/log.hpp"
#include "worker/baggageclaim/volume_store.hpp"

namespace concourse::worker {

inline constexpr const char* kTypeProperty = "concourse:resource-type";
inline constexpr const char* kVersionProperty = "concourse:resource-type-version";
inline constexpr const char* kInstalledProperty = "concourse:resource-type-installed";
inline constexpr const char* kSupersededProperty = "concourse:resource-type-superseded";

struct InstallerBinding {
  const cc_installer_vtable* vtable = nullptr;
  cc_instance* instance = nullptr;  // outlives the ResourceTypeInstalls
  std::string name;                 // "name@version" for log lines
};

struct SyncResult {
  bool advertised_changed = false;
  std::vector<std::string> installed, failed, removed;  // "type@version" / volume handles
};

class ResourceTypeInstalls {
 public:
  // settle: a source whose files changed more recently than this is left for a later sync (a
  // copy still in progress).
  ResourceTypeInstalls(std::string dir, InstallerBinding installer,
                       baggageclaim::VolumeStore& volumes, std::string volumes_dir,
                       std::chrono::milliseconds settle, concourse::log::Logger log);

  // One thread at a time (the watcher's); never throws. changed: the directory changed, so
  // sources that failed kMaxAttempts times are tried again.
  SyncResult sync(bool changed);
  nlohmann::json advertised() const;

  // Handles of volumes that have copy-on-write children (Baggageclaim's `parent` links).
  static std::set<std::string> volumes_with_children(const std::string& volumes_dir);

 private:
  struct Found {
    cc_resource_type_entry entry{};
    std::string type, version, rootfs;
  };
  std::vector<Found> discover();
  bool install(const Found& f);
  SyncResult collect(SyncResult result);
  bool settled(const std::string& rootfs) const;

  std::string dir_;
  InstallerBinding installer_;
  baggageclaim::VolumeStore& volumes_;
  std::string volumes_dir_;
  std::chrono::milliseconds settle_;
  concourse::log::Logger log_;
  std::map<std::string, int> failures_;  // "type@version@rootfs" -> failed attempts
  mutable std::mutex mu_;
  nlohmann::json advertised_ = nlohmann::json::array();
};

}  // namespace concourse::worker
