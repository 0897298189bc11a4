// Field names and order follow Go's encoding of the garden package structs, so a response is
// byte-for-byte what a Go client would see from Garden, apart from nil slices (we send []).
#include "worker/garden/wire.hpp"

namespace concourse::worker::garden {

using nlohmann::ordered_json;

ordered_json capacity_json(const cc_capacity& c) {
  ordered_json j;
  j["memory_in_bytes"] = c.memory_in_bytes;
  j["disk_in_bytes"] = c.disk_in_bytes;
  j["schedulable_disk_in_bytes"] = c.schedulable_disk_in_bytes;
  j["max_containers"] = c.max_containers;
  return j;
}

ordered_json info_json(const ContainerInfoData& info) {
  ordered_json j;
  j["State"] = info.state;
  j["Events"] = info.events;
  j["HostIP"] = info.host_ip;
  j["ContainerIP"] = info.container_ip;
  j["ContainerIPv6"] = info.container_ipv6;
  j["ExternalIP"] = info.external_ip;
  j["ContainerPath"] = info.container_path;
  j["ProcessIDs"] = info.process_ids;
  ordered_json props = ordered_json::object();
  for (const auto& [k, v] : info.properties)
    props[k] = v;
  j["Properties"] = std::move(props);
  ordered_json ports = ordered_json::array();
  for (const auto& [host, container] : info.mapped_ports) {
    ports.push_back(ordered_json{{"HostPort", host}, {"ContainerPort", container}});
  }
  j["MappedPorts"] = std::move(ports);
  return j;
}

namespace {

ordered_json memory_stat_json(const cc_container_metrics& m) {
  // The ABI carries the three figures Concourse and the cgroup drivers care about; the rest of
  // Garden's cgroup v1 memory.stat mirror is reported as zero.
  ordered_json j;
  for (const char* name : {"active_anon", "active_file"})
    j[name] = 0;
  j["cache"] = m.memory_cache_bytes;
  j["hierarchical_memory_limit"] = 0;
  for (const char* name : {"inactive_anon", "inactive_file", "mapped_file", "pgfault", "pgmajfault",
                           "pgpgin", "pgpgout"}) {
    j[name] = 0;
  }
  j["rss"] = m.memory_rss_bytes;
  for (const char* name : {"total_active_anon", "total_active_file"})
    j[name] = 0;
  j["total_cache"] = m.memory_cache_bytes;
  for (const char* name : {"total_inactive_anon", "total_inactive_file", "total_mapped_file",
                           "total_pgfault", "total_pgmajfault", "total_pgpgin", "total_pgpgout"}) {
    j[name] = 0;
  }
  j["total_rss"] = m.memory_rss_bytes;
  for (const char* name :
       {"total_unevictable", "unevictable", "swap", "hierarchical_memsw_limit", "total_swap"}) {
    j[name] = 0;
  }
  j["TotalUsageTowardLimit"] = m.memory_usage_bytes;
  j["anon"] = 0;
  j["file"] = 0;
  j["swapcached"] = 0;
  return j;
}

}  // namespace

ordered_json metrics_json(const cc_container_metrics& m) {
  ordered_json j;
  j["MemoryStat"] = memory_stat_json(m);
  j["CPUStat"] =
      ordered_json{{"Usage", m.cpu_usage_ns}, {"User", m.cpu_user_ns}, {"System", m.cpu_system_ns}};
  j["DiskStat"] = ordered_json{{"TotalBytesUsed", m.disk_total_bytes},
                               {"TotalInodesUsed", m.disk_total_inodes},
                               {"ExclusiveBytesUsed", m.disk_exclusive_bytes},
                               {"ExclusiveInodesUsed", m.disk_exclusive_inodes}};
  j["NetworkStat"] = ordered_json{{"RxBytes", m.net_rx_bytes}, {"TxBytes", m.net_tx_bytes}};
  j["PidStat"] = ordered_json{{"Current", m.pids_current}, {"Max", m.pids_max}};
  j["Age"] = m.age_ns;
  j["CPUEntitlement"] = 0;
  return j;
}

ordered_json limits_json(LimitKind kind, const cc_limits& l) {
  switch (kind) {
    case LimitKind::Bandwidth:
      return ordered_json{{"rate", l.bandwidth_rate}, {"burst", l.bandwidth_burst}};
    case LimitKind::Cpu:
      return ordered_json{{"weight", l.cpu_weight}, {"limit_in_shares", l.cpu_limit_in_shares}};
    case LimitKind::Disk:
      return ordered_json{{"inode_soft", l.disk_inode_soft},
                          {"inode_hard", l.disk_inode_hard},
                          {"byte_soft", l.disk_byte_soft},
                          {"byte_hard", l.disk_byte_hard},
                          {"scope", l.disk_scope}};
    case LimitKind::Memory:
      return ordered_json{{"limit_in_bytes", l.memory_limit_in_bytes}};
  }
  return ordered_json::object();
}

std::string to_body(const ordered_json& j) {
  // Plugins hand us strings that are not guaranteed to be UTF-8; replace rather than throw.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace concourse::worker::garden
