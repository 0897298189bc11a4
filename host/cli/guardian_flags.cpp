#include "cli/guardian_flags.hpp"

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace concourse::cli {
namespace {

// Flag (without "garden-") -> runtime-config key. Lists are the repeatable flags.
const std::map<std::string, std::string> kKeys = {{"runtime-bin", "runtime_bin"},
                                                  {"oci-runtime", "runtime_bin"},
                                                  {"default-rootfs", "default_rootfs"},
                                                  {"init-bin", "init_bin"},
                                                  {"dns-server", "dns_servers"},
                                                  {"network-pool", "network_pool"},
                                                  {"max-containers", "max_containers"},
                                                  {"mtu", "mtu"},
                                                  {"allow-host-access", "allow_host_access"},
                                                  {"destroy-on-exit", "destroy_on_exit"}};

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r");
  auto e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

nlohmann::json ini_value(const std::string& key, const std::string& v) {
  if (key == "dns_servers")
    return v;  // appended by the caller
  if (key == "max_containers" || key == "mtu") {
    try {
      return std::stoll(v);
    } catch (...) {
      throw core::UsageError("--garden-config: " + key + " must be a number, got '" + v + "'");
    }
  }
  if (key == "allow_host_access")
    return v == "true" || v == "1" || v == "yes";
  return v;
}

// The [server] section of a gdn config file; unknown keys are a usage error.
nlohmann::json read_ini(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    throw core::UsageError("--garden-config: cannot read " + path);
  nlohmann::json out = nlohmann::json::object();
  std::string section;
  for (std::string line; std::getline(in, line);) {
    line = trim(line);
    if (line.empty() || line[0] == '#' || line[0] == ';')
      continue;
    if (line.front() == '[') {
      section = trim(line.substr(1, line.find(']') - 1));
      continue;
    }
    auto eq = line.find('=');
    std::string name = trim(line.substr(0, eq));
    if (section != "server")
      throw core::UsageError("--garden-config: only the [server] section is supported, got '" +
                             name + "' in [" + section + "]");
    auto it = kKeys.find(name);
    if (eq == std::string::npos || it == kKeys.end())
      throw core::UsageError("--garden-config: unknown key '" + name + "' in " + path);
    auto value = ini_value(it->second, trim(line.substr(eq + 1)));
    if (it->second == "dns_servers")
      out[it->second].push_back(value);
    else
      out[it->second] = value;
  }
  return out;
}

}  // namespace

void add_guardian_flags(core::FlagSet& fs, GuardianFlags& f) {
  fs.add_string("garden-config", &f.config, "gdn-style ini file ([server] section) for guardian");
  fs.add_string("garden-runtime-bin", &f.runtime_bin, "OCI runtime guardian runs (runc or crun)");
  fs.add_string("oci-runtime", &f.runtime_bin, "same as --garden-runtime-bin");
  fs.add_string("garden-default-rootfs", &f.default_rootfs,
                "directory used (through an overlay) as rootfs of containers created without one");
  fs.add_string("garden-init-bin", &f.init_bin,
                "init of guardian containers (default: concourse-init beside the plugin)");
  fs.add_list("garden-dns-server", &f.dns_servers, "DNS server for containers (repeatable)");
  fs.add_string("garden-network-pool", &f.network_pool, "range for container subnets");
  fs.add_int("garden-max-containers", &f.max_containers, "max containers (0 = no limit)");
  fs.add_int("garden-mtu", &f.mtu, "MTU of container interfaces");
  fs.add_bool("garden-allow-host-access", &f.allow_host_access,
              "allow containers to reach the host's network");
  fs.add_bool("garden-destroy-on-exit", &f.destroy_on_exit,
              "destroy every guardian container when the worker stops");
}

void apply_guardian_flags(const core::FlagSet& fs, const GuardianFlags& f,
                          const std::string& runtime, const std::string& plugin_dir,
                          std::string& runtime_config) {
  if (runtime != "guardian" && runtime.rfind("guardian@", 0) != 0)
    return;
  auto j = nlohmann::json::parse(runtime_config.empty() ? "{}" : runtime_config, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    throw core::UsageError("--runtime-config must be a JSON object");
  if (fs.was_set("garden-config")) {
    for (auto& [k, v] : read_ini(f.config).items())
      j[k] = v;
  }
  auto set = [&](const char* flag, const char* key, const nlohmann::json& v) {
    if (fs.was_set(flag))
      j[key] = v;
  };
  set("garden-runtime-bin", "runtime_bin", f.runtime_bin);
  set("oci-runtime", "runtime_bin", f.runtime_bin);
  set("garden-default-rootfs", "default_rootfs", f.default_rootfs);
  set("garden-init-bin", "init_bin", f.init_bin);
  // The host loads a cached copy of each plugin, so the plugin cannot look beside itself.
  if (!j.contains("init_bin") && !plugin_dir.empty())
    j["init_bin"] = plugin_dir + "/concourse-init";
  set("garden-dns-server", "dns_servers", f.dns_servers);
  set("garden-network-pool", "network_pool", f.network_pool);
  if (f.max_containers < 0)
    throw core::UsageError("--garden-max-containers must be >= 0");
  set("garden-max-containers", "max_containers", f.max_containers);
  if (f.mtu < 0 || f.mtu > 65535)
    throw core::UsageError("--garden-mtu must be between 0 and 65535");
  set("garden-mtu", "mtu", f.mtu);
  set("garden-allow-host-access", "allow_host_access", f.allow_host_access);
  set("garden-destroy-on-exit", "destroy_on_exit", f.destroy_on_exit);
  runtime_config = j.dump();
}

}  // namespace concourse::cli
