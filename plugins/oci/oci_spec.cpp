#include "oci_spec.hpp"

#include <stdexcept>

namespace concourse::oci {
using nlohmann::json;

namespace {

void require_absolute(const std::string& p, const char* what) {
  if (p.empty() || p[0] != '/')
    throw std::invalid_argument(std::string(what) + " must be an absolute path, got '" + p + "'");
}

json mount(const std::string& dst, const std::string& type, const std::string& src,
           std::vector<std::string> options) {
  return {{"destination", dst}, {"type", type}, {"source", src}, {"options", options}};
}

json bind_json(const std::string& src, const std::string& dst, bool read_only) {
  return mount(dst, "bind", src, {"bind", "rbind", read_only ? "ro" : "rw", "nosuid", "nodev"});
}

// The kernel filesystems every container gets, as runc's default spec (and Garden) mount them.
json base_mounts(bool userns) {
  json m = json::array();
  m.push_back(mount("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}));
  m.push_back(
      mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}));
  m.push_back(mount("/dev/pts", "devpts", "devpts",
                    {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}));
  m.push_back(mount("/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777"}));
  m.push_back(mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}));
  // A user namespace cannot mount a fresh sysfs; bind the host's read-only instead.
  if (userns)
    m.push_back(mount("/sys", "none", "/sys", {"rbind", "nosuid", "noexec", "nodev", "ro"}));
  else
    m.push_back(mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}));
  return m;
}

json id_maps(const std::vector<IdMap>& maps) {
  json a = json::array();
  for (const auto& m : maps)
    a.push_back({{"containerID", m.container_id}, {"hostID", m.host_id}, {"size", m.size}});
  return a;
}

json resources(const Limits& l) {
  json r = json::object();
  // Garden's default device rules: deny all, then the basics a process needs.
  json dev = json::array({{{"allow", false}, {"access", "rwm"}}});
  for (auto [major, minor] : {std::pair{1, 3}, {1, 5}, {1, 7}, {1, 8}, {1, 9}, {5, 0}, {5, 2}})
    dev.push_back(
        {{"allow", true}, {"type", "c"}, {"major", major}, {"minor", minor}, {"access", "rwm"}});
  dev.push_back({{"allow", true}, {"type", "c"}, {"major", 136}, {"access", "rwm"}});
  r["devices"] = dev;
  if (l.memory_bytes != 0) {
    r["memory"] = {{"limit", l.memory_bytes}};
    // Without an explicit swap limit, swap = memory: the limit cannot be dodged by swapping.
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

json process(const SpecInput& in) {
  const auto& caps = in.privileged ? privileged_capabilities() : default_capabilities();
  json p = {{"terminal", false},
            {"user", {{"uid", 0}, {"gid", 0}}},
            {"args", in.args},
            {"env", in.env},
            {"cwd", "/"},
            {"capabilities",
             {{"bounding", caps}, {"effective", caps}, {"permitted", caps}, {"inheritable", caps}}},
            {"noNewPrivileges", !in.privileged}};
  if (in.privileged)
    p["capabilities"]["ambient"] = caps;
  return p;
}

json linux_section(const SpecInput& in) {
  bool userns = !in.uid_maps.empty();
  json ns =
      json::array({{{"type", "pid"}}, {{"type", "ipc"}}, {{"type", "uts"}}, {{"type", "mount"}}});
  ns.push_back(in.netns_path.empty() ? json{{"type", "network"}}
                                     : json{{"type", "network"}, {"path", in.netns_path}});
  json l = {{"namespaces", ns}, {"resources", resources(in.limits)}};
  if (userns) {
    l["namespaces"].push_back({{"type", "user"}});
    l["uidMappings"] = id_maps(in.uid_maps);
    l["gidMappings"] = id_maps(in.gid_maps.empty() ? in.uid_maps : in.gid_maps);
  }
  if (!in.cgroups_path.empty())
    l["cgroupsPath"] = in.cgroups_path;
  if (!in.privileged) {
    l["maskedPaths"] = {"/proc/acpi",        "/proc/asound",        "/proc/kcore",
                        "/proc/keys",        "/proc/latency_stats", "/proc/timer_list",
                        "/proc/timer_stats", "/proc/sched_debug",   "/proc/scsi",
                        "/sys/firmware"};
    l["readonlyPaths"] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"};
  }
  return l;
}

}  // namespace

const std::vector<std::string>& default_capabilities() {
  static const std::vector<std::string> caps = {
      "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
      "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
      "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
      "CAP_KILL",    "CAP_AUDIT_WRITE"};
  return caps;
}

const std::vector<std::string>& privileged_capabilities() {
  static const std::vector<std::string> caps = {"CAP_CHOWN",
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
                                                "CAP_AUDIT_READ"};
  return caps;
}

json make_spec(const SpecInput& in) {
  require_absolute(in.rootfs_path, "rootfs");
  if (!in.cgroups_path.empty())
    require_absolute(in.cgroups_path, "cgroups path");
  json mounts = base_mounts(!in.uid_maps.empty());
  for (const auto& m : in.mounts) {
    require_absolute(m.src, "bind mount source");
    require_absolute(m.dst, "bind mount destination");
    mounts.push_back(bind_json(m.src, m.dst, m.read_only));
  }
  if (!in.resolv_conf_path.empty())
    mounts.push_back(bind_json(in.resolv_conf_path, "/etc/resolv.conf", true));
  if (!in.hosts_path.empty())
    mounts.push_back(bind_json(in.hosts_path, "/etc/hosts", true));
  return {{"ociVersion", "1.0.2"},
          {"root", {{"path", in.rootfs_path}, {"readonly", false}}},
          {"hostname", in.hostname.empty() ? in.id : in.hostname},
          {"process", process(in)},
          {"mounts", mounts},
          {"linux", linux_section(in)}};
}

std::string rootfs_from_uri(const std::string& uri) {
  const std::string scheme = "raw://";
  if (uri.rfind(scheme, 0) != 0)
    throw std::invalid_argument("unsupported rootfs URI '" + uri + "': only raw:///path is");
  std::string path = uri.substr(scheme.size());
  require_absolute(path, "raw:// rootfs");
  return path;
}

}  // namespace concourse::oci
