#include "discover.hpp"

#include <concourse/resource_type.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>

namespace concourse::installer {
namespace fs = std::filesystem;
namespace {

std::optional<Found> read_entry(const fs::path& dir, const std::string& dir_version) {
  std::error_code ec;
  fs::path meta = dir / "resource_metadata.json";
  if (!fs::is_regular_file(meta, ec))
    return std::nullopt;
  Found f;
  if (fs::is_regular_file(dir / "rootfs.tgz", ec)) {
    f.format = CC_RT_FORMAT_ROOTFS_TGZ;
    f.rootfs_path = (dir / "rootfs.tgz").string();
  } else if (fs::is_directory(dir / "rootfs", ec)) {
    f.format = CC_RT_FORMAT_ROOTFS_DIR;
    f.rootfs_path = (dir / "rootfs").string();
  } else {
    return std::nullopt;
  }
  std::ifstream in(meta);
  auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("type") || !j["type"].is_string())
    return std::nullopt;
  f.type = j["type"].get<std::string>();
  auto v = j.find("version");
  f.version = v != j.end() && v->is_string() ? v->get<std::string>() : dir_version;
  f.privileged = j.value("privileged", false);
  f.unique_version_history = j.value("unique_version_history", false);
  f.rootfs_path = fs::absolute(f.rootfs_path).lexically_normal().string();
  return f;
}

std::vector<fs::path> subdirs(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.is_directory(ec) && e.path().filename().string().front() != '.')
      out.push_back(e.path());
  }
  return out;
}

}  // namespace

std::vector<Found> discover_dir(const std::string& dir) {
  std::vector<Found> out;
  for (const auto& type_dir : subdirs(dir)) {
    if (auto f = read_entry(type_dir, ""))
      out.push_back(std::move(*f));
    for (const auto& version_dir : subdirs(type_dir)) {
      if (version_dir.filename() == "rootfs")
        continue;
      if (auto f = read_entry(version_dir, version_dir.filename().string()))
        out.push_back(std::move(*f));
    }
  }
  std::sort(out.begin(), out.end(), [](const Found& a, const Found& b) {
    return std::tie(a.type, a.version, a.rootfs_path) < std::tie(b.type, b.version, b.rootfs_path);
  });
  return out;
}

}  // namespace concourse::installer
