#include "worker/baggageclaim/volume_store.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "core/archive/archive.hpp"
#include "core/error.hpp"

namespace concourse::worker::baggageclaim {
namespace fs = std::filesystem;
using core::Error;
using nlohmann::json;

namespace {

void write_json(const fs::path& p, const json& j) {
  fs::path tmp = p;
  tmp += ".tmp";
  {
    std::ofstream out(tmp);
    out << j.dump();
  }
  fs::rename(tmp, p);
}

json read_json(const fs::path& p, json fallback) {
  std::ifstream in(p);
  if (!in)
    return fallback;
  auto j = json::parse(in, nullptr, false);
  return j.is_discarded() ? fallback : j;
}

void import_into(const Strategy& s, const std::string& data) {
  if (fs::is_directory(s.import_path)) {
    copy_tree(s.import_path, data, s.follow_symlinks);
    return;
  }
  if (!fs::is_regular_file(s.import_path)) {
    throw Error(CC_E_NOT_FOUND, "import path " + s.import_path + " does not exist");
  }
  // A file is a .tar.gz to unpack, as Baggageclaim's import strategy treats it.
  fs::create_directories(data);
  std::ifstream in(s.import_path, std::ios::binary);
  core::archive::ExtractOptions o;
  o.encoding = core::archive::Encoding::Gzip;
  o.preserve_owner = ::geteuid() == 0;
  core::archive::extract_stream(
      [&in](char* buf, size_t n) {
        in.read(buf, static_cast<std::streamsize>(n));
        return static_cast<size_t>(in.gcount());
      },
      data, o);
}

}  // namespace

bool valid_handle(const std::string& h) {
  return !h.empty() && h.size() <= 255 && h != "." && h != ".." &&
         h.find('/') == std::string::npos && h.find('\0') == std::string::npos;
}

std::string new_handle() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t a = rng(), b = rng();
  a = (a & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant 10
  char out[37];
  std::snprintf(out, sizeof out, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xffff),
                static_cast<unsigned>(b >> 48),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return out;
}

VolumeStore::VolumeStore(std::string volumes_dir, std::unique_ptr<Driver> driver,
                         concourse::log::Logger log)
    : root_(std::move(volumes_dir)), driver_(std::move(driver)), log_(std::move(log)) {
  for (auto d : {"init", "live", "dead"})
    fs::create_directories(fs::path(root_) / d);
  cleanup_orphans();
  load();
  expiry_thread_ = std::thread([this] { expiry_loop(); });
}

VolumeStore::~VolumeStore() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  expiry_cv_.notify_all();
  expiry_thread_.join();
}

std::string VolumeStore::dir(const char* state, const std::string& handle) const {
  return (fs::path(root_) / state / handle).string();
}

void VolumeStore::write_meta(const std::string& vol_dir, const Entry& e) const {
  write_json(fs::path(vol_dir) / "properties.json", e.volume.properties);
  write_json(fs::path(vol_dir) / "privileged.json", e.volume.privileged);
  write_json(fs::path(vol_dir) / "ttl.json", e.volume.ttl_seconds);
  if (!e.lower.empty())
    write_json(fs::path(vol_dir) / "lower.json", e.lower);
}

void VolumeStore::arm(Entry& e) {
  if (e.volume.ttl_seconds > 0) {
    e.expires = std::chrono::steady_clock::now() + std::chrono::seconds(e.volume.ttl_seconds);
  } else {
    e.expires = {};
  }
  expiry_cv_.notify_all();
}

void VolumeStore::load() {
  for (const auto& d : fs::directory_iterator(fs::path(root_) / "live")) {
    Entry e;
    e.volume.handle = d.path().filename().string();
    e.volume.path = (d.path() / "volume").string();
    e.volume.properties = read_json(d.path() / "properties.json", json::object()).get<Properties>();
    e.volume.privileged = read_json(d.path() / "privileged.json", false).get<bool>();
    e.volume.ttl_seconds = read_json(d.path() / "ttl.json", 0).get<int64_t>();
    e.lower = read_json(d.path() / "lower.json", json::array()).get<std::vector<std::string>>();
    try {
      driver_->restore(e.volume.path, e.lower, e.volume.handle);
    } catch (const std::exception& ex) {
      log_.error("restore-volume-failed", {{"volume", e.volume.handle}, {"error", ex.what()}});
      continue;
    }
    arm(e);
    volumes_[e.volume.handle] = std::move(e);
  }
  if (!volumes_.empty())
    log_.info("volumes-restored", {{"count", std::to_string(volumes_.size())}});
}

void VolumeStore::cleanup_orphans() {
  for (auto state : {"init", "dead"}) {
    for (const auto& d : fs::directory_iterator(fs::path(root_) / state)) {
      std::lock_guard lock(mu_);
      if (creating_.count(d.path().filename().string()) != 0)
        continue;
      driver_->release((d.path() / "volume").string(), d.path().filename().string());
      std::error_code ec;
      fs::remove_all(d.path(), ec);
    }
  }
}

Volume VolumeStore::create(const std::string& handle, const Strategy& strategy,
                           const Properties& props, bool privileged, int64_t ttl_seconds) {
  if (!valid_handle(handle))
    throw Error(CC_E_INVALID, "invalid volume handle '" + handle + "'");
  Entry parent;
  {
    std::lock_guard lock(mu_);
    if (volumes_.count(handle) != 0 || creating_.count(handle) != 0) {
      throw Error(CC_E_EXISTS, "volume already exists: " + handle);
    }
    if (strategy.type == Strategy::Type::Cow) {
      auto it = volumes_.find(strategy.parent);
      if (it == volumes_.end()) {
        throw Error(CC_E_NOT_FOUND, "parent volume not found: " + strategy.parent);
      }
      parent = it->second;
    }
    creating_[handle] = true;
  }
  Entry e;
  e.volume = {handle, dir("live", handle) + "/volume", props, privileged, ttl_seconds};
  std::string init = dir("init", handle);
  std::string init_data = init + "/volume";
  try {
    fs::create_directories(init);
    switch (strategy.type) {
      case Strategy::Type::Empty:
        fs::create_directories(init_data);
        break;
      case Strategy::Type::Import:
        import_into(strategy, init_data);
        break;
      case Strategy::Type::Cow:
        // Overlay mounts are made at the final path: a mount does not follow a rename.
        fs::create_directories(init_data);
        break;
    }
    if (strategy.type == Strategy::Type::Cow && driver_->name() == "naive") {
      fs::remove(init_data);
      driver_->make_cow(init_data, parent.volume.path, parent.lower, parent.volume.handle, handle);
    }
    write_meta(init, e);
    if (strategy.type == Strategy::Type::Cow) {
      fs::create_symlink(dir("live", parent.volume.handle), fs::path(init) / "parent");
    }
    fs::rename(init, dir("live", handle));
    if (strategy.type == Strategy::Type::Cow && driver_->name() != "naive") {
      fs::remove(e.volume.path);
      e.lower = driver_->make_cow(e.volume.path, parent.volume.path, parent.lower,
                                  parent.volume.handle, handle);
      write_meta(dir("live", handle), e);
    }
  } catch (...) {
    std::error_code ec;
    driver_->release(e.volume.path, handle);
    fs::remove_all(init, ec);
    fs::remove_all(dir("live", handle), ec);
    std::lock_guard lock(mu_);
    creating_.erase(handle);
    throw;
  }
  std::lock_guard lock(mu_);
  creating_.erase(handle);
  arm(e);
  volumes_[handle] = e;
  log_.info("created-volume", {{"volume", handle}, {"driver", driver_->name()}});
  return e.volume;
}

std::optional<Volume> VolumeStore::get(const std::string& handle) const {
  std::lock_guard lock(mu_);
  auto it = volumes_.find(handle);
  if (it == volumes_.end())
    return std::nullopt;
  return it->second.volume;
}

std::vector<Volume> VolumeStore::list(const Properties& filter) const {
  std::lock_guard lock(mu_);
  std::vector<Volume> out;
  for (const auto& [h, e] : volumes_) {
    bool match = true;
    for (const auto& [k, v] : filter) {
      auto it = e.volume.properties.find(k);
      match = match && it != e.volume.properties.end() && it->second == v;
    }
    if (match)
      out.push_back(e.volume);
  }
  return out;
}

void VolumeStore::set_property(const std::string& handle, const std::string& key,
                               const std::string& value) {
  std::lock_guard lock(mu_);
  auto it = volumes_.find(handle);
  if (it == volumes_.end())
    throw Error(CC_E_NOT_FOUND, "volume not found: " + handle);
  it->second.volume.properties[key] = value;
  write_meta(dir("live", handle), it->second);
}

void VolumeStore::set_privileged(const std::string& handle, bool privileged) {
  std::lock_guard lock(mu_);
  auto it = volumes_.find(handle);
  if (it == volumes_.end())
    throw Error(CC_E_NOT_FOUND, "volume not found: " + handle);
  it->second.volume.privileged = privileged;
  write_meta(dir("live", handle), it->second);
}

void VolumeStore::set_ttl(const std::string& handle, int64_t ttl_seconds) {
  std::lock_guard lock(mu_);
  auto it = volumes_.find(handle);
  if (it == volumes_.end())
    throw Error(CC_E_NOT_FOUND, "volume not found: " + handle);
  it->second.volume.ttl_seconds = ttl_seconds;
  arm(it->second);
  write_meta(dir("live", handle), it->second);
}

void VolumeStore::destroy(const std::string& handle) {
  {
    std::lock_guard lock(mu_);
    if (volumes_.erase(handle) == 0)
      throw Error(CC_E_NOT_FOUND, "volume not found: " + handle);
  }
  std::string dead = dir("dead", handle);
  std::error_code ec;
  fs::rename(dir("live", handle), dead, ec);
  if (ec)
    throw Error(CC_E_INTERNAL, "destroy volume " + handle + ": " + ec.message());
  driver_->release(dead + "/volume", handle);
  fs::remove_all(dead, ec);
  log_.info("destroyed-volume", {{"volume", handle}});
}

size_t VolumeStore::count() const {
  std::lock_guard lock(mu_);
  return volumes_.size();
}

void VolumeStore::expiry_loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    auto next = std::chrono::steady_clock::time_point::max();
    std::vector<std::string> expired;
    auto now = std::chrono::steady_clock::now();
    for (const auto& [h, e] : volumes_) {
      if (e.expires == std::chrono::steady_clock::time_point{})
        continue;
      if (e.expires <= now)
        expired.push_back(h);
      else
        next = std::min(next, e.expires);
    }
    if (!expired.empty()) {
      lock.unlock();
      for (const auto& h : expired) {
        try {
          destroy(h);
          log_.info("expired-volume", {{"volume", h}});
        } catch (const std::exception&) {
        }
      }
      lock.lock();
      continue;
    }
    if (next == std::chrono::steady_clock::time_point::max()) {
      expiry_cv_.wait(lock);
    } else {
      expiry_cv_.wait_until(lock, next);
    }
  }
}

}  // namespace concourse::worker::baggageclaim
