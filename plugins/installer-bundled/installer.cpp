#include "installer.hpp"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "discover.hpp"
#include "unpack.hpp"

namespace concourse::installer {
namespace fs = std::filesystem;
namespace {

void require_empty_dir(const std::string& target) {
  std::error_code ec;
  if (!fs::is_directory(target, ec))
    throw sdk::Error(CC_E_INVALID, "install target " + target + " is not a directory");
  if (!fs::is_empty(target, ec))
    throw sdk::Error(CC_E_EXISTS, "install target " + target + " is not empty");
}

void write_marker(const std::string& target, const cc_resource_type_entry& entry,
                  uint64_t entries) {
  nlohmann::json j{{"type", std::string(sdk::view(entry.type))},
                   {"version", std::string(sdk::view(entry.version))},
                   {"source", std::string(sdk::view(entry.rootfs_path))},
                   {"entries", entries}};
  fs::path tmp = fs::path(target) / (std::string(kMarker) + ".tmp");
  {
    std::ofstream out(tmp);
    out << j.dump() << "\n";
    if (!out.flush())
      throw sdk::Error(CC_E_INTERNAL, "writing " + tmp.string());
  }
  std::error_code ec;
  fs::rename(tmp, fs::path(target) / kMarker, ec);
  if (ec)
    throw sdk::Error(CC_E_INTERNAL, "completing install in " + target + ": " + ec.message());
}

}  // namespace

Bundled::Bundled(const sdk::Host& host, const sdk::InstanceParams&) : sdk::Installer(host) {}

std::vector<cc_resource_type_entry> Bundled::discover(const sdk::Call&, const std::string& dir,
                                                      std::vector<std::string>& storage) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw sdk::Error(CC_E_NOT_FOUND, "resource types dir " + dir + " does not exist");
  auto found = discover_dir(dir);
  // Every string first, then the views: growing `storage` later would move short strings.
  storage.reserve(found.size() * 3);
  for (const auto& f : found) {
    storage.push_back(f.type);
    storage.push_back(f.version);
    storage.push_back(f.rootfs_path);
  }
  std::vector<cc_resource_type_entry> out;
  for (size_t i = 0; i < found.size(); ++i) {
    cc_resource_type_entry e{};
    e.struct_size = sizeof e;
    e.format = found[i].format;
    e.type = sdk::str(storage[3 * i]);
    e.version = sdk::str(storage[3 * i + 1]);
    e.rootfs_path = sdk::str(storage[3 * i + 2]);
    e.privileged = found[i].privileged ? 1 : 0;
    e.unique_version_history = found[i].unique_version_history ? 1 : 0;
    out.push_back(e);
  }
  return out;
}

void Bundled::install(const sdk::Call&, const cc_resource_type_entry& entry,
                      const std::string& target_dir) {
  require_empty_dir(target_dir);
  std::string source(sdk::view(entry.rootfs_path));
  uint64_t n = 0;
  if (entry.format == CC_RT_FORMAT_ROOTFS_TGZ)
    n = unpack_tgz(source, target_dir);
  else if (entry.format == CC_RT_FORMAT_ROOTFS_DIR)
    n = copy_rootfs_dir(source, target_dir);
  else
    throw sdk::Error(CC_E_INVALID, "unknown resource type format " + std::to_string(entry.format));
  write_marker(target_dir, entry, n);
  host().info("resource-type-installed", {{"type", sdk::view(entry.type)},
                                          {"version", sdk::view(entry.version)},
                                          {"target", target_dir},
                                          {"entries", std::to_string(n)}});
}

void Bundled::verify(const sdk::Call&, const std::string& target_dir) {
  std::error_code ec;
  fs::path marker = fs::path(target_dir) / kMarker;
  if (!fs::is_regular_file(marker, ec))
    throw sdk::Error(CC_E_INVALID,
                     target_dir + " holds no completed install (no " + std::string(kMarker) + ")");
  std::ifstream in(marker);
  auto j = nlohmann::json::parse(in, nullptr, false);
  if (!j.is_object() || !j.contains("type"))
    throw sdk::Error(CC_E_INVALID, "install marker in " + target_dir + " is corrupt");
  fs::path check = fs::path(target_dir) / "opt/resource/check";
  if (!fs::exists(fs::symlink_status(check, ec)))
    throw sdk::Error(CC_E_INVALID, target_dir + " has no /opt/resource/check");
}

}  // namespace concourse::installer
