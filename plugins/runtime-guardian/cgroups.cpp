#include "cgroups.hpp"

#include <unistd.h>

#include <concourse/sdk.hpp>
#include <fstream>
#include <map>
#include <sstream>

namespace concourse::guardian {

namespace {

uint64_t read_u64(const std::string& file) {
  std::ifstream in(file);
  std::string v;
  if (!(in >> v) || v == "max")
    return 0;
  try {
    return std::stoull(v);
  } catch (...) {
    return 0;
  }
}

std::map<std::string, uint64_t> read_stat(const std::string& file) {
  std::map<std::string, uint64_t> out;
  std::ifstream in(file);
  std::string key;
  uint64_t value = 0;
  while (in >> key >> value)
    out[key] = value;
  return out;
}

}  // namespace

void check_cgroups_v1(const std::string& proc_cgroups) {
  std::ifstream in(proc_cgroups);
  std::map<std::string, bool> v1;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#')
      continue;
    std::istringstream f(line);
    std::string name;
    int hierarchy = 0, count = 0, enabled = 0;
    if (f >> name >> hierarchy >> count >> enabled)
      v1[name] = hierarchy != 0 && enabled != 0;
  }
  std::string missing;
  for (const char* c : {"memory", "pids", "cpu", "cpuacct"}) {
    if (!v1[c])
      missing += std::string(missing.empty() ? "" : ", ") + c;
  }
  if (!missing.empty())
    throw sdk::Error(CC_E_UNAVAILABLE,
                     "guardian needs cgroups v1 (hybrid or legacy) but these controllers are not "
                     "on a v1 hierarchy: " +
                         missing + "; use --runtime containerd or houdini");
}

cc_container_metrics read_metrics(const std::string& path) {
  cc_container_metrics m{};
  m.struct_size = sizeof m;
  const std::string mem = "/sys/fs/cgroup/memory" + path + "/";
  m.memory_usage_bytes = read_u64(mem + "memory.usage_in_bytes");
  auto stat = read_stat(mem + "memory.stat");
  m.memory_rss_bytes = stat["total_rss"];
  m.memory_cache_bytes = stat["total_cache"];
  const std::string cpu = "/sys/fs/cgroup/cpuacct" + path + "/";
  m.cpu_usage_ns = read_u64(cpu + "cpuacct.usage");
  auto cpustat = read_stat(cpu + "cpuacct.stat");
  // cpuacct.stat counts USER_HZ ticks.
  const uint64_t ns_per_tick = 1000000000ull / static_cast<uint64_t>(::sysconf(_SC_CLK_TCK));
  m.cpu_user_ns = cpustat["user"] * ns_per_tick;
  m.cpu_system_ns = cpustat["system"] * ns_per_tick;
  const std::string pids = "/sys/fs/cgroup/pids" + path + "/";
  m.pids_current = read_u64(pids + "pids.current");
  m.pids_max = read_u64(pids + "pids.max");
  return m;
}

}  // namespace concourse::guardian
