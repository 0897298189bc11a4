// `concourse plugins list|inspect|verify --plugin-dir DIR`: what the worker would load, and why
// it would refuse the rest.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include <concourse/runtime.h>

#include "cli/commands.hpp"
#include "core/flags.hpp"
#include "core/plugin/registry.hpp"
#include "core/plugin/verify.hpp"

namespace concourse::cli {
namespace {

namespace plugin = concourse::core::plugin;
namespace fs = std::filesystem;

std::string capability_names(const plugin::LoadedModule& m) {
  if (m.kind() != CC_KIND_RUNTIME)
    return m.capabilities() == 0 ? "-" : std::to_string(m.capabilities());
  static const std::pair<uint64_t, const char*> kNames[] = {
      {CC_RT_CAP_NET_IN, "net_in"},
      {CC_RT_CAP_NET_OUT, "net_out"},
      {CC_RT_CAP_LIMIT_CPU, "limit_cpu"},
      {CC_RT_CAP_LIMIT_MEMORY, "limit_memory"},
      {CC_RT_CAP_LIMIT_DISK, "limit_disk"},
      {CC_RT_CAP_LIMIT_BANDWIDTH, "limit_bandwidth"},
      {CC_RT_CAP_LIMIT_PID, "limit_pid"},
      {CC_RT_CAP_PRIVILEGED, "privileged"},
      {CC_RT_CAP_TTY, "tty"},
      {CC_RT_CAP_ROOTFS_RAW, "rootfs_raw"},
      {CC_RT_CAP_ROOTFS_IMAGE_URI, "rootfs_image_uri"},
      {CC_RT_CAP_METRICS, "metrics"},
      {CC_RT_CAP_ATTACH_AFTER_RESTART, "attach_after_restart"},
      {CC_RT_CAP_ISOLATION, "isolation"}};
  std::string out;
  for (const auto& [bit, name] : kNames) {
    if ((m.capabilities() & bit) == 0)
      continue;
    if (!out.empty())
      out += ",";
    out += name;
  }
  return out.empty() ? "-" : out;
}

nlohmann::json module_json(const plugin::LoadedModule& m) {
  return {{"name", m.name()},
          {"version", m.version()},
          {"kind", plugin::kind_name(m.kind())},
          {"abi", std::to_string(m.abi_major()) + "." + std::to_string(m.abi_minor())},
          {"capabilities", capability_names(m)},
          {"flags", m.flags()},
          {"description", m.description()},
          {"path", m.source_path()},
          {"sha256", m.sha256()}};
}

struct Options {
  std::string plugin_dir, work_dir, child;
  bool json = false;
};

int list(plugin::Registry& registry, const Options& o) {
  auto result = registry.scan(o.plugin_dir);
  if (o.json) {
    nlohmann::json out{{"loaded", nlohmann::json::array()}, {"refused", nlohmann::json::array()}};
    for (const auto& m : result.loaded)
      out["loaded"].push_back(module_json(*m));
    for (const auto& r : result.refused) {
      out["refused"].push_back(
          {{"path", r.path}, {"reason", plugin::to_string(r.reason)}, {"message", r.message}});
    }
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::printf("%-20s %-12s %-24s %-5s %-40s %s\n", "NAME", "VERSION", "KIND", "ABI", "CAPABILITIES",
              "PATH");
  for (const auto& m : result.loaded) {
    auto j = module_json(*m);
    std::printf("%-20s %-12s %-24s %-5s %-40s %s\n", m->name().c_str(), m->version().c_str(),
                plugin::kind_name(m->kind()), j["abi"].get<std::string>().c_str(),
                capability_names(*m).c_str(), m->source_path().c_str());
  }
  if (!result.refused.empty())
    std::printf("\nrefused:\n");
  for (const auto& r : result.refused) {
    std::printf("  %s: %s: %s\n", r.path.c_str(), plugin::to_string(r.reason), r.message.c_str());
  }
  return 0;
}

int inspect(plugin::Registry& registry, const Options& o, const std::string& spec) {
  registry.scan(o.plugin_dir);
  std::shared_ptr<plugin::LoadedModule> found;
  for (uint32_t kind = CC_KIND_RUNTIME; kind <= CC_KIND_RESOURCE_TYPE_INSTALLER && !found; ++kind) {
    found = registry.find(kind, spec);
  }
  if (!found) {
    std::cerr << "error: no plugin '" << spec << "' in " << o.plugin_dir << "\n";
    return 1;
  }
  auto j = module_json(*found);
  j["config_schema"] = found->config_schema();
  j["loaded_path"] = found->loaded_path();
  if (o.json) {
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  for (const auto& [k, v] : j.items()) {
    std::cout << k << ": " << (v.is_string() ? v.get<std::string>() : v.dump()) << "\n";
  }
  return 0;
}

int verify(const Options& o) {
  if (!o.child.empty())
    return plugin::run_verify_child(o.child);
  std::string self = fs::read_symlink("/proc/self/exe").string();
  std::vector<std::string> paths;
  for (const auto& e : fs::directory_iterator(o.plugin_dir)) {
    if (e.is_regular_file() && e.path().extension() == ".so")
      paths.push_back(e.path().string());
  }
  std::sort(paths.begin(), paths.end());
  bool all_ok = true;
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : paths) {
    auto v = plugin::verify_in_child(self, p);
    all_ok = all_ok && v.ok;
    if (o.json) {
      out.push_back({{"path", v.path},
                     {"ok", v.ok},
                     {"name", v.name},
                     {"version", v.version},
                     {"kind", v.kind},
                     {"reason", v.reason},
                     {"message", v.message}});
    } else if (v.ok) {
      std::printf("OK       %s (%s@%s, %s, abi %s)\n", p.c_str(), v.name.c_str(), v.version.c_str(),
                  v.kind.c_str(), v.abi.c_str());
    } else {
      std::printf("REFUSED  %s: %s: %s\n", p.c_str(), v.reason.c_str(), v.message.c_str());
    }
  }
  if (o.json)
    std::cout << out.dump(2) << "\n";
  return all_ok ? 0 : 1;
}

}  // namespace

int run_plugins_command(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help") {
    std::cerr << "Usage: concourse plugins list|inspect NAME[@VERSION]|verify --plugin-dir DIR "
                 "[--json]\n";
    return argc < 2 ? 2 : 0;
  }
  std::string verb = argv[1];
  Options o;
  core::FlagSet fs_flags("plugins " + verb);
  fs_flags.add_string("plugin-dir", &o.plugin_dir, "directory of plugin shared objects");
  fs_flags.add_string("work-dir", &o.work_dir, "where the plugin cache goes (default: a temp dir)");
  fs_flags.add_bool("json", &o.json, "machine-readable output");
  fs_flags.add_string("child", &o.child, "internal: verify one plugin in this process");
  std::vector<std::string> positional;
  try {
    positional = fs_flags.parse(argc, argv, 2);
    if (o.plugin_dir.empty() && o.child.empty()) {
      throw core::UsageError("the required flag '--plugin-dir' was not specified");
    }
    if (verb == "inspect" && positional.size() != 1) {
      throw core::UsageError("inspect takes one NAME or NAME@VERSION");
    }
    if (verb != "list" && verb != "inspect" && verb != "verify") {
      throw core::UsageError("unknown plugins command '" + verb + "' (list, inspect, verify)");
    }
  } catch (const core::UsageError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }
  try {
    if (verb == "verify")
      return verify(o);
    // Listing must not leave copies behind: the cache goes to a private temp dir by default.
    bool temp = o.work_dir.empty();
    std::string cache =
        temp ? (fs::temp_directory_path() / ("concourse-plugins-" + std::to_string(::getpid())))
                   .string()
             : (fs::path(o.work_dir) / "plugins" / ".cache").string();
    int rc;
    {
      plugin::RegistryOptions ropts{
          cache, {}, nullptr, fs::read_symlink("/proc/self/exe").string()};
      plugin::Registry registry(ropts);
      rc = verb == "list" ? list(registry, o) : inspect(registry, o, positional[0]);
    }
    if (temp)
      fs::remove_all(cache);
    return rc;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace concourse::cli
