#include "container.hpp"

#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

namespace concourse::guardian {
namespace fs = std::filesystem;
using nlohmann::json;

ProcState::~ProcState() {
  if (tty_fd >= 0)
    ::close(tty_fd);
}

namespace {

json limits_json(const cc_limits& l) {
  return {{"memory", l.memory_limit_in_bytes},
          {"pids", l.pid_max},
          {"cpu_shares", l.cpu_limit_in_shares},
          {"cpu_weight", l.cpu_weight}};
}

cc_limits limits_from(const json& j) {
  cc_limits l{};
  l.struct_size = sizeof l;
  l.memory_limit_in_bytes = j.value("memory", uint64_t{0});
  l.pid_max = j.value("pids", uint64_t{0});
  l.cpu_limit_in_shares = j.value("cpu_shares", uint64_t{0});
  l.cpu_weight = j.value("cpu_weight", uint64_t{0});
  return l;
}

json rule_json(const sdk::NetOutRule& r) {
  return {{"protocol", r.protocol},   {"networks", r.networks},   {"ports", r.ports},
          {"icmp_type", r.icmp_type}, {"icmp_code", r.icmp_code}, {"log", r.log}};
}

sdk::NetOutRule rule_from(const json& j) {
  sdk::NetOutRule r;
  r.protocol = j.value("protocol", uint32_t{CC_PROTO_ALL});
  r.networks = j.value("networks", decltype(r.networks){});
  r.ports = j.value("ports", decltype(r.ports){});
  r.icmp_type = j.value("icmp_type", -1);
  r.icmp_code = j.value("icmp_code", -1);
  r.log = j.value("log", false);
  return r;
}

json net_json(const ContainerNet& n) {
  json ports = json::array(), rules = json::array();
  for (const auto& p : n.ports)
    ports.push_back({p.host_port, p.container_port});
  for (const auto& r : n.rules)
    rules.push_back(rule_json(r));
  return {{"ip", n.ip == 0 ? "" : ipv4_string(n.ip)},
          {"ports", ports},
          {"rules", rules},
          {"restricted", n.restricted}};
}

ContainerNet net_from(const json& j) {
  ContainerNet n;
  n.ip = parse_ipv4(j.value("ip", "")).value_or(0);
  for (const auto& p : j.value("ports", json::array()))
    n.ports.push_back({p.at(0).get<uint32_t>(), p.at(1).get<uint32_t>()});
  for (const auto& r : j.value("rules", json::array()))
    n.rules.push_back(rule_from(r));
  n.restricted = j.value("restricted", false);
  return n;
}

}  // namespace

void save_container(const Container& c) {
  json j = {{"handle", c.handle},
            {"rootfs", c.rootfs},
            {"overlay", c.overlay},
            {"lower", c.lower},
            {"privileged", c.privileged},
            {"env", c.env},
            {"properties", c.properties},
            {"limits", limits_json(c.limits)},
            {"grace_time_ns", c.grace_time_ns},
            {"created_at_ns", c.created_at_ns},
            {"network", net_json(c.net)}};
  fs::path tmp = fs::path(c.bundle) / "state.json.tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << j.dump();
    if (!out)
      throw sdk::Error(CC_E_INTERNAL, "guardian: cannot write " + tmp.string());
  }
  fs::rename(tmp, fs::path(c.bundle) / "state.json");
}

std::vector<Container> load_containers(const std::string& depot) {
  std::vector<Container> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(depot, ec)) {
    std::ifstream in(e.path() / "state.json");
    if (!in)
      continue;  // a bundle whose creation never finished: destroy() cleans it
    auto j = json::parse(in, nullptr, false);
    if (j.is_discarded())
      continue;
    Container c;
    c.handle = j.value("handle", "");
    c.bundle = e.path().string();
    c.rootfs = j.value("rootfs", "");
    c.overlay = j.value("overlay", false);
    c.lower = j.value("lower", "");
    c.privileged = j.value("privileged", false);
    c.env = j.value("env", std::vector<std::string>{});
    c.properties = j.value("properties", sdk::Properties{});
    c.limits = limits_from(j.value("limits", json::object()));
    c.grace_time_ns = j.value("grace_time_ns", int64_t{0});
    c.created_at_ns = j.value("created_at_ns", int64_t{0});
    c.net = net_from(j.value("network", json::object()));
    c.ready = true;
    out.push_back(std::move(c));
  }
  return out;
}

void mount_overlay(const std::string& lower, const std::string& bundle) {
  fs::path b(bundle);
  for (const char* d : {"rootfs", "upper", "work"})
    fs::create_directories(b / d);
  std::string opts = "lowerdir=" + lower + ",upperdir=" + (b / "upper").string() +
                     ",workdir=" + (b / "work").string();
  if (::mount("overlay", (b / "rootfs").c_str(), "overlay", 0, opts.c_str()) < 0)
    throw sdk::Error(CC_E_INTERNAL,
                     "guardian: overlay mount over " + lower + " failed: " + std::strerror(errno));
}

void remove_bundle(const Container& c) {
  if (c.bundle.empty())
    return;
  fs::path rootfs = fs::path(c.bundle) / "rootfs";
  if (c.overlay || fs::exists(fs::path(c.bundle) / "upper")) {
    if (::umount2(rootfs.c_str(), MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
      throw sdk::Error(CC_E_INTERNAL,
                       "guardian: unmount " + rootfs.string() + " failed: " + std::strerror(errno));
  }
  std::error_code ec;
  fs::remove_all(c.bundle, ec);
}

std::string inside(const std::string& root, const std::string& path) {
  fs::path rel = fs::path(path).relative_path().lexically_normal();
  if (!rel.empty() && *rel.begin() == "..")
    throw sdk::Error(CC_E_INVALID, "path '" + path + "' escapes the container");
  std::string r = (fs::path(root) / rel).lexically_normal().string();
  while (r.size() > 1 && r.back() == '/')
    r.pop_back();
  return r;
}

}  // namespace concourse::guardian
