#include "guardian_config.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
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

uint64_t number_key(const nlohmann::json& j, const std::string& key, uint64_t fallback,
                    uint64_t max) {
  if (!j.contains(key))
    return fallback;
  if (!j[key].is_number_unsigned() || j[key].get<uint64_t>() > max)
    throw sdk::Error(CC_E_INVALID, "guardian config: " + key + " must be a number from 0 to " +
                                       std::to_string(max));
  return j[key].get<uint64_t>();
}

// Interface names are at most 15 characters; ours also name iptables chains and files.
void check_bridge_name(const std::string& b) {
  bool ok = !b.empty() && b.size() <= 15;
  for (char ch : b)
    ok = ok && (std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_');
  if (!ok)
    throw sdk::Error(CC_E_INVALID, "guardian config: bridge '" + b +
                                       "' must be 1 to 15 characters of [A-Za-z0-9_-]");
}

NetworkConfig parse_network(const nlohmann::json& j) {
  NetworkConfig n;
  n.pool = string_key(j, "network_pool", n.pool);
  if (n.pool.empty())
    n.pool = NetworkConfig{}.pool;
  parse_cidr(n.pool);  // refuses a bad pool at start, with the reason
  n.mtu = static_cast<uint32_t>(number_key(j, "mtu", 0, 65535));
  if (n.mtu != 0 && n.mtu < 68)
    throw sdk::Error(CC_E_INVALID, "guardian config: mtu must be 0 (the host's) or >= 68");
  if (j.contains("allow_host_access")) {
    if (!j["allow_host_access"].is_boolean())
      throw sdk::Error(CC_E_INVALID, "guardian config: allow_host_access must be true or false");
    n.allow_host_access = j["allow_host_access"].get<bool>();
  }
  n.bridge = string_key(j, "bridge", n.bridge);
  check_bridge_name(n.bridge);
  n.state_dir = string_key(j, "network_state_dir", n.state_dir);
  n.netns_dir = string_key(j, "netns_dir", n.netns_dir);
  n.port_pool_start =
      static_cast<uint32_t>(number_key(j, "port_pool_start", n.port_pool_start, 65535));
  n.port_pool_size =
      static_cast<uint32_t>(number_key(j, "port_pool_size", n.port_pool_size, 65535));
  if (n.port_pool_start == 0 || n.port_pool_start + n.port_pool_size > 65536)
    throw sdk::Error(CC_E_INVALID, "guardian config: the port pool must lie within 1-65535");
  return n;
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
  static const char* kKnown[] = {
      "runtime_bin",       "default_rootfs",  "init_bin",      "depot",
      "dns_servers",       "max_containers",  "network_pool",  "mtu",
      "allow_host_access", "destroy_on_exit", "bridge",        "network_state_dir",
      "netns_dir",         "port_pool_start", "port_pool_size"};
  for (const auto& [k, v] : j.items()) {
    if (std::find(std::begin(kKnown), std::end(kKnown), k) == std::end(kKnown))
      throw sdk::Error(CC_E_INVALID, "guardian config: unknown key '" + k + "'");
  }
  Config c;
  c.network = parse_network(j);
  c.runtime_bin = string_key(j, "runtime_bin", c.runtime_bin);
  c.default_rootfs = string_key(j, "default_rootfs", "");
  c.init_bin = string_key(j, "init_bin", default_init_bin());
  c.depot = string_key(j, "depot", (fs::path(params.data_dir) / "depot").string());
  if (j.contains("dns_servers")) {
    if (!j["dns_servers"].is_array())
      throw sdk::Error(CC_E_INVALID, "guardian config: dns_servers must be a list of strings");
    for (const auto& s : j["dns_servers"]) {
      if (!s.is_string() || !parse_ipv4(s.get<std::string>()))
        throw sdk::Error(CC_E_INVALID,
                         "guardian config: dns server " + s.dump() + " is not an IPv4 address");
      c.dns_servers.push_back(s.get<std::string>());
    }
  }
  c.destroy_on_exit = j.value("destroy_on_exit", false);
  char hash[17];
  std::snprintf(hash, sizeof hash, "%08zx", std::hash<std::string>{}(c.depot) & 0xffffffffu);
  c.cgroup_parent = std::string("/concourse/") + hash;
  c.max_containers = number_key(j, "max_containers", c.max_containers, UINT32_MAX);
  if (!c.default_rootfs.empty() && !fs::is_directory(c.default_rootfs))
    throw sdk::Error(CC_E_INVALID,
                     "guardian: default rootfs " + c.default_rootfs + " is not a directory");
  return c;
}

}  // namespace concourse::guardian
