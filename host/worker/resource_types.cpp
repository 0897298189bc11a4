#include "worker/resource_types.hpp"

#include <filesystem>
#include <fstream>
#include <optional>

#include "core/plugin/semver.hpp"

namespace concourse::worker {
namespace fs = std::filesystem;
namespace {

// One type directory as the ATC wants it, or nullopt when it is not a resource type.
std::optional<nlohmann::json> read_entry(const fs::path& dir, const concourse::log::Logger& log) {
  fs::path meta = dir / "resource_metadata.json";
  fs::path image = dir / "rootfs.tgz";
  std::error_code ec;
  if (!fs::is_regular_file(meta, ec) || !fs::is_regular_file(image, ec))
    return std::nullopt;
  std::ifstream in(meta);
  auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("type") || !j["type"].is_string()) {
    log.warn("invalid-resource-type-metadata", {{"path", meta.string()}});
    return std::nullopt;
  }
  return nlohmann::json{{"type", j["type"]},
                        {"image", fs::absolute(image).lexically_normal().string()},
                        {"version", j.value("version", "")},
                        {"privileged", j.value("privileged", false)},
                        {"unique_version_history", j.value("unique_version_history", false)}};
}

bool newer(const nlohmann::json& a, const nlohmann::json& b) {
  auto va = core::plugin::parse_semver(a.value("version", ""));
  auto vb = core::plugin::parse_semver(b.value("version", ""));
  if (va && vb)
    return *vb < *va;
  return va.has_value() && !vb.has_value();
}

}  // namespace

nlohmann::json scan_resource_types(const std::string& dir, const concourse::log::Logger& log) {
  auto out = nlohmann::json::array();
  std::error_code ec;
  if (dir.empty() || !fs::is_directory(dir, ec))
    return out;
  std::vector<fs::path> entries;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_directory())
      entries.push_back(e.path());
  std::sort(entries.begin(), entries.end());
  for (const auto& type_dir : entries) {
    std::optional<nlohmann::json> best = read_entry(type_dir, log);
    for (const auto& v : fs::directory_iterator(type_dir, ec)) {
      if (!v.is_directory())
        continue;
      auto candidate = read_entry(v.path(), log);
      if (candidate && (!best || newer(*candidate, *best)))
        best = std::move(candidate);
    }
    if (best)
      out.push_back(std::move(*best));
    else
      log.debug("not-a-resource-type", {{"path", type_dir.string()}});
  }
  return out;
}

}  // namespace concourse::worker
