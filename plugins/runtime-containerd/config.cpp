#include "config.hpp"

#include <nlohmann/json.hpp>
#include <set>

namespace concourse::containerd {
namespace {

using nlohmann::json;

[[noreturn]] void bad(const std::string& what) {
  throw sdk::Error(CC_E_INVALID, "containerd config: " + what);
}

std::string str(const json& j, const char* key, const std::string& fallback) {
  if (!j.contains(key))
    return fallback;
  if (!j[key].is_string())
    bad(std::string(key) + " must be a string");
  return j[key].get<std::string>();
}

uint64_t uint(const json& j, const char* key, uint64_t fallback) {
  if (!j.contains(key))
    return fallback;
  if (!j[key].is_number_unsigned())
    bad(std::string(key) + " must be a number >= 0");
  return j[key].get<uint64_t>();
}

bool boolean(const json& j, const char* key, bool fallback) {
  if (!j.contains(key))
    return fallback;
  if (!j[key].is_boolean())
    bad(std::string(key) + " must be true or false");
  return j[key].get<bool>();
}

std::vector<std::string> strings(const json& j, const char* key) {
  std::vector<std::string> out;
  if (!j.contains(key))
    return out;
  if (!j[key].is_array())
    bad(std::string(key) + " must be an array of strings");
  for (const auto& v : j[key]) {
    if (!v.is_string())
      bad(std::string(key) + " must be an array of strings");
    out.push_back(v.get<std::string>());
  }
  return out;
}

}  // namespace

Config parse_config(const sdk::InstanceParams& params) {
  auto j = json::parse(params.config_json, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    bad("must be a JSON object");
  static const std::set<std::string> known = {"bin",
                                              "config",
                                              "socket",
                                              "init_bin",
                                              "default_rootfs",
                                              "log_level",
                                              "request_timeout_ms",
                                              "max_containers",
                                              "destroy_on_exit",
                                              "network_pool",
                                              "dns_servers",
                                              "restricted_networks",
                                              "allow_host_access",
                                              "dns_proxy_enable",
                                              "mtu",
                                              "external_ip",
                                              "cni_plugins_dir"};
  for (const auto& [k, v] : j.items()) {
    if (known.count(k) == 0)
      bad("unknown key '" + k + "'");
  }
  Config c;
  c.bin = str(j, "bin", c.bin);
  c.config = str(j, "config", "");
  c.socket = str(j, "socket", "");
  c.init_bin = str(j, "init_bin", "");
  c.default_rootfs = str(j, "default_rootfs", "");
  c.log_level = str(j, "log_level", c.log_level);
  c.request_timeout = std::chrono::milliseconds(uint(j, "request_timeout_ms", 60000));
  c.max_containers = uint(j, "max_containers", c.max_containers);
  c.destroy_on_exit = boolean(j, "destroy_on_exit", false);
  c.network_pool = str(j, "network_pool", c.network_pool);
  c.dns_servers = strings(j, "dns_servers");
  c.restricted_networks = strings(j, "restricted_networks");
  c.allow_host_access = boolean(j, "allow_host_access", false);
  c.dns_proxy_enable = boolean(j, "dns_proxy_enable", false);
  // As the seed docs say: the DNS proxy answers on the host, so it implies host access.
  if (c.dns_proxy_enable)
    c.allow_host_access = true;
  c.mtu = static_cast<uint32_t>(uint(j, "mtu", 0));
  c.external_ip = str(j, "external_ip", "");
  c.cni_plugins_dir = str(j, "cni_plugins_dir", c.cni_plugins_dir);
  if (!c.default_rootfs.empty() && c.default_rootfs[0] != '/')
    bad("default_rootfs must be an absolute path");
  return c;
}

}  // namespace concourse::containerd
