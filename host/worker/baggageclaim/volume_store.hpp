// Volumes on disk, as Baggageclaim lays them out: <volumes>/init/<h> while being created,
// live/<h> once visible, dead/<h> while being removed, so a crash never exposes half a volume.
// Data is in <dir>/volume; metadata beside it (properties.json, privileged.json, ttl.json, and a
// `parent` symlink for copy-on-write children).
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/log.hpp"
#include "worker/baggageclaim/driver.hpp"

namespace concourse::worker::baggageclaim {

using Properties = std::map<std::string, std::string>;

struct Volume {
  std::string handle;
  std::string path;  // the data directory
  Properties properties;
  bool privileged = false;
  int64_t ttl_seconds = 0;  // 0 = never expires
};

struct Strategy {
  enum class Type { Empty, Cow, Import };
  Type type = Type::Empty;
  std::string parent;       // Cow
  std::string import_path;  // Import: a directory (copied) or a .tar.gz file (unpacked)
  bool follow_symlinks = false;
};

class VolumeStore {
 public:
  VolumeStore(std::string volumes_dir, std::unique_ptr<Driver> driver, concourse::log::Logger log);
  ~VolumeStore();
  VolumeStore(const VolumeStore&) = delete;
  VolumeStore& operator=(const VolumeStore&) = delete;

  // Throws core::Error: CC_E_EXISTS, CC_E_NOT_FOUND (missing parent), CC_E_INVALID.
  Volume create(const std::string& handle, const Strategy& strategy, const Properties& props,
                bool privileged, int64_t ttl_seconds);
  std::optional<Volume> get(const std::string& handle) const;
  std::vector<Volume> list(const Properties& filter) const;
  void set_property(const std::string& handle, const std::string& key, const std::string& value);
  void set_privileged(const std::string& handle, bool privileged);
  void set_ttl(const std::string& handle, int64_t ttl_seconds);
  void destroy(const std::string& handle);  // CC_E_NOT_FOUND when unknown
  size_t count() const;
  // Removes leftovers of interrupted creations and destructions.
  void cleanup_orphans();
  const std::string& driver_name() const { return driver_->name(); }

 private:
  struct Entry {
    Volume volume;
    std::vector<std::string> lower;  // overlay lower dirs of a copy-on-write child
    std::chrono::steady_clock::time_point expires{};
  };
  std::string dir(const char* state, const std::string& handle) const;
  void write_meta(const std::string& vol_dir, const Entry& e) const;
  void load();
  void expiry_loop();
  void arm(Entry& e);

  std::string root_;
  std::unique_ptr<Driver> driver_;
  concourse::log::Logger log_;
  mutable std::mutex mu_;
  std::condition_variable expiry_cv_;
  std::map<std::string, Entry> volumes_;
  std::map<std::string, bool> creating_;
  bool stopping_ = false;
  std::thread expiry_thread_;
};

// Handles are names on disk: no "/", not "." or "..", at most 255 bytes, not empty.
bool valid_handle(const std::string& handle);
std::string new_handle();  // a random UUID v4

}  // namespace concourse::worker::baggageclaim
