#include "guardian_config.hpp"

#include <dlfcn.h>

#include <cstdio>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>

namespace concourse::guardian {
namespace fs = std::filesystem;

std::string module_dir();

namespace {

std::string string_key(const nlohmann::json& j, const std::string& key, std::string fallback) {
  if (!j.contains(key))
    return fallback;
  if (!j[key].is_string())
    throw sdk::Error(CC_E_INVALID, "guardian config: " + key + " must be a string");
  return j[key].get<std::string>();
}

// Keys the flags may send that name features not built yet: refuse rather than ignore them.
void refuse_unimplemented(const nlohmann::json& j) {
  for (const char* key : {"network_pool", "mtu", "allow_host_access"}) {
    if (!j.contains(key))
      continue;
    if (std::string(key) == "allow_host_access" && j[key] == false)
      continue;  // the only behaviour there is: containers have loopback-only networks
    throw sdk::Error(CC_E_UNSUPPORTED, std::string("guardian config: ") + key +
                                           " is not supported yet (containers get a "
                                           "loopback-only network namespace)");
  }
}

std::string default_init_bin() {
  // The host may load a cached copy of the module (plugins/.cache/...): look beside it, then
  // in the plugin directory above.
  fs::path dir = module_dir();
  for (const fs::path& d : {dir, dir.parent_path()}) {
    if (fs::exists(d / "concourse-init"))
      return (d / "concourse-init").string();
  }
  return (dir / "concourse-init").string();
}

}  // namespace

std::string module_dir() {
  Dl_info info{};
  if (::dladdr(reinterpret_cast<void*>(&module_dir), &info) == 0 || info.dli_fname == nullptr)
    return "";
  return fs::path(info.dli_fname).parent_path().string();
}

Config parse_config(const sdk::InstanceParams& params) {
  auto j = nlohmann::json::parse(params.config_json, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    throw sdk::Error(CC_E_INVALID, "guardian config must be a JSON object");
  static const char* kKnown[] = {"runtime_bin",       "default_rootfs", "init_bin",     "depot",
                                 "dns_servers",       "max_containers", "network_pool", "mtu",
                                 "allow_host_access", "destroy_on_exit"};
  for (const auto& [k, v] : j.items()) {
    if (std::find(std::begin(kKnown), std::end(kKnown), k) == std::end(kKnown))
      throw sdk::Error(CC_E_INVALID, "guardian config: unknown key '" + k + "'");
  }
  refuse_unimplemented(j);
  Config c;
  c.runtime_bin = string_key(j, "runtime_bin", c.runtime_bin);
  c.default_rootfs = string_key(j, "default_rootfs", "");
  c.init_bin = string_key(j, "init_bin", default_init_bin());
  c.depot = string_key(j, "depot", (fs::path(params.data_dir) / "depot").string());
  if (j.contains("dns_servers")) {
    if (!j["dns_servers"].is_array())
      throw sdk::Error(CC_E_INVALID, "guardian config: dns_servers must be a list of strings");
    for (const auto& s : j["dns_servers"])
      c.dns_servers.push_back(s.get<std::string>());
  }
  c.destroy_on_exit = j.value("destroy_on_exit", false);
  char hash[17];
  std::snprintf(hash, sizeof hash, "%08zx", std::hash<std::string>{}(c.depot) & 0xffffffffu);
  c.cgroup_parent = std::string("/concourse/") + hash;
  if (j.contains("max_containers")) {
    if (!j["max_containers"].is_number_unsigned())
      throw sdk::Error(CC_E_INVALID, "guardian config: max_containers must be a number >= 0");
    c.max_containers = j["max_containers"].get<uint64_t>();
  }
  if (!c.default_rootfs.empty() && !fs::is_directory(c.default_rootfs))
    throw sdk::Error(CC_E_INVALID,
                     "guardian: default rootfs " + c.default_rootfs + " is not a directory");
  return c;
}

}  // namespace concourse::guardian
