#include "spec.hpp"

namespace concourse::containerd::oci {
namespace {

using nlohmann::json;

// Docker's and containerd's default set for unprivileged containers.
const std::vector<std::string> kDefaultCaps = {
    "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
    "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
    "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
    "CAP_KILL",    "CAP_AUDIT_WRITE"};

const std::vector<std::string> kAllCaps = {"CAP_CHOWN",
                                           "CAP_DAC_OVERRIDE",
                                           "CAP_DAC_READ_SEARCH",
                                           "CAP_FOWNER",
                                           "CAP_FSETID",
                                           "CAP_KILL",
                                           "CAP_SETGID",
                                           "CAP_SETUID",
                                           "CAP_SETPCAP",
                                           "CAP_LINUX_IMMUTABLE",
                                           "CAP_NET_BIND_SERVICE",
                                           "CAP_NET_BROADCAST",
                                           "CAP_NET_ADMIN",
                                           "CAP_NET_RAW",
                                           "CAP_IPC_LOCK",
                                           "CAP_IPC_OWNER",
                                           "CAP_SYS_MODULE",
                                           "CAP_SYS_RAWIO",
                                           "CAP_SYS_CHROOT",
                                           "CAP_SYS_PTRACE",
                                           "CAP_SYS_PACCT",
                                           "CAP_SYS_ADMIN",
                                           "CAP_SYS_BOOT",
                                           "CAP_SYS_NICE",
                                           "CAP_SYS_RESOURCE",
                                           "CAP_SYS_TIME",
                                           "CAP_SYS_TTY_CONFIG",
                                           "CAP_MKNOD",
                                           "CAP_LEASE",
                                           "CAP_AUDIT_WRITE",
                                           "CAP_AUDIT_CONTROL",
                                           "CAP_SETFCAP",
                                           "CAP_MAC_OVERRIDE",
                                           "CAP_MAC_ADMIN",
                                           "CAP_SYSLOG",
                                           "CAP_WAKE_ALARM",
                                           "CAP_BLOCK_SUSPEND",
                                           "CAP_AUDIT_READ",
                                           "CAP_PERFMON",
                                           "CAP_BPF",
                                           "CAP_CHECKPOINT_RESTORE"};

json mounts(const SpecInput& in) {
  json m = json::array({
      {{"destination", "/proc"},
       {"type", "proc"},
       {"source", "proc"},
       {"options", {"nosuid", "noexec", "nodev"}}},
      {{"destination", "/dev"},
       {"type", "tmpfs"},
       {"source", "tmpfs"},
       {"options", {"nosuid", "strictatime", "mode=755", "size=65536k"}}},
      {{"destination", "/dev/pts"},
       {"type", "devpts"},
       {"source", "devpts"},
       {"options", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}}},
      {{"destination", "/dev/shm"},
       {"type", "tmpfs"},
       {"source", "shm"},
       {"options", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}}},
      {{"destination", "/dev/mqueue"},
       {"type", "mqueue"},
       {"source", "mqueue"},
       {"options", {"nosuid", "noexec", "nodev"}}},
      {{"destination", "/sys"},
       {"type", "sysfs"},
       {"source", "sysfs"},
       {"options", {"nosuid", "noexec", "nodev", "ro"}}},
  });
  auto bind = [&](const std::string& src, const std::string& dst, bool ro) {
    json opts = {"bind"};
    if (ro)
      opts.push_back("ro");
    m.push_back({{"destination", dst}, {"type", "bind"}, {"source", src}, {"options", opts}});
  };
  if (!in.resolv_conf_path.empty())
    bind(in.resolv_conf_path, "/etc/resolv.conf", true);
  if (!in.hosts_path.empty())
    bind(in.hosts_path, "/etc/hosts", true);
  for (const auto& b : in.mounts)
    bind(b.src, b.dst, b.read_only);
  return m;
}

json id_maps(const std::vector<IdMap>& maps) {
  json out = json::array();
  for (const auto& m : maps)
    out.push_back({{"containerID", m.container_id}, {"hostID", m.host_id}, {"size", m.size}});
  return out;
}

}  // namespace

json capabilities(bool privileged) {
  const auto& caps = privileged ? kAllCaps : kDefaultCaps;
  return {{"bounding", caps}, {"effective", caps}, {"permitted", caps}};
}

json make_resources(const Limits& l) {
  json r = {{"devices", json::array({{{"allow", false}, {"access", "rwm"}}})}};
  if (l.memory_bytes != 0) {
    r["memory"] = {{"limit", l.memory_bytes}};
    // No swap on top of the limit unless asked: the limit is then what the OOM killer enforces.
    r["memory"]["swap"] = l.memory_swap_bytes != 0 ? l.memory_swap_bytes : l.memory_bytes;
  }
  json cpu = json::object();
  if (l.cpu_shares != 0)
    cpu["shares"] = l.cpu_shares;
  if (l.cpu_quota_us != 0)
    cpu["quota"] = l.cpu_quota_us;
  if (l.cpu_period_us != 0)
    cpu["period"] = l.cpu_period_us;
  if (!cpu.empty())
    r["cpu"] = cpu;
  if (l.pids != 0)
    r["pids"] = {{"limit", l.pids}};
  return r;
}

json make_spec(const SpecInput& in) {
  json ns =
      json::array({{{"type", "pid"}}, {{"type", "ipc"}}, {{"type", "uts"}}, {{"type", "mount"}}});
  if (in.netns_path.empty())
    ns.push_back({{"type", "network"}});
  else
    ns.push_back({{"type", "network"}, {"path", in.netns_path}});
  json linux_ = {{"namespaces", ns}, {"resources", make_resources(in.limits)}};
  if (!in.uid_maps.empty()) {
    linux_["namespaces"].push_back({{"type", "user"}});
    linux_["uidMappings"] = id_maps(in.uid_maps);
    linux_["gidMappings"] = id_maps(in.gid_maps);
  }
  if (!in.cgroups_path.empty())
    linux_["cgroupsPath"] = in.cgroups_path;
  if (!in.privileged) {
    linux_["maskedPaths"] = {"/proc/acpi",          "/proc/kcore",      "/proc/keys",
                             "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                             "/proc/sched_debug",   "/sys/firmware",    "/proc/scsi"};
    linux_["readonlyPaths"] = {"/proc/asound", "/proc/bus", "/proc/fs",
                               "/proc/irq",    "/proc/sys", "/proc/sysrq-trigger"};
  }
  return {
      {"ociVersion", "1.0.2"},
      {"process",
       {{"terminal", false},
        {"user", {{"uid", 0}, {"gid", 0}}},
        {"args", in.args},
        {"env", in.env},
        {"cwd", "/"},
        {"capabilities", capabilities(in.privileged)},
        {"noNewPrivileges", false}}},
      {"root", {{"path", in.rootfs_path}, {"readonly", false}}},
      {"hostname", in.hostname},
      {"mounts", mounts(in)},
      {"linux", linux_},
  };
}

}  // namespace concourse::containerd::oci
