#include "host_net.hpp"

#include <ifaddrs.h>
#include <netinet/in.h>
#include <unistd.h>

#include <concourse/sdk.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "netlink.hpp"
#include "netns.hpp"

namespace concourse::guardian {
namespace fs = std::filesystem;

namespace {

uint32_t fnv1a(const std::string& s) {
  uint32_t h = 2166136261u;
  for (unsigned char c : s)
    h = (h ^ c) * 16777619u;
  return h;
}

std::string read_line(const std::string& path) {
  std::ifstream in(path);
  std::string s;
  std::getline(in, s);
  return s;
}

// Writes a sysctl when it differs; a missing file (no IPv6, say) is fine.
void set_sysctl(const std::string& path, const std::string& value) {
  if (!fs::exists(path) || read_line(path) == value)
    return;
  std::ofstream out(path);
  out << value << "\n";
  if (!out.flush())
    throw sdk::Error(CC_E_INTERNAL, "guardian: cannot set " + path + " to " + value);
}

}  // namespace

OutboundInterface outbound_interface() {
  OutboundInterface o;
  std::ifstream routes("/proc/net/route");
  std::string line;
  std::getline(routes, line);  // header
  while (std::getline(routes, line)) {
    std::istringstream f(line);
    std::string iface, dest, gw, flags, refcnt, use, metric, mask;
    f >> iface >> dest >> gw >> flags >> refcnt >> use >> metric >> mask;
    if (dest == "00000000" && mask == "00000000") {
      o.name = iface;
      break;
    }
  }
  if (o.name.empty())
    return o;
  std::string mtu = read_line("/sys/class/net/" + o.name + "/mtu");
  if (!mtu.empty())
    o.mtu = static_cast<uint32_t>(std::stoul(mtu));
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) == 0) {
    for (ifaddrs* a = list; a != nullptr; a = a->ifa_next) {
      if (a->ifa_addr != nullptr && a->ifa_addr->sa_family == AF_INET && o.name == a->ifa_name) {
        o.ipv4 = ipv4_string(ntohl(reinterpret_cast<sockaddr_in*>(a->ifa_addr)->sin_addr.s_addr));
        break;
      }
    }
    ::freeifaddrs(list);
  }
  return o;
}

bool bridge_exists(const std::string& bridge) {
  return Netlink().link_index(bridge).has_value();
}

bool ensure_bridge(const std::string& bridge, const Cidr& pool, uint32_t mtu) {
  Netlink nl;
  // A locally administered MAC derived from the name: the bridge keeps it, so containers'
  // ARP entries for the gateway stay valid as ports come and go.
  uint32_t h = fnv1a(bridge);
  const uint8_t mac[6] = {0x02,
                          0x42,
                          static_cast<uint8_t>(h >> 24),
                          static_cast<uint8_t>(h >> 16),
                          static_cast<uint8_t>(h >> 8),
                          static_cast<uint8_t>(h)};
  bool created = nl.create_bridge(bridge, mtu, mac);
  auto index = nl.link_index(bridge);
  if (!index)
    throw sdk::Error(CC_E_INTERNAL, "guardian: bridge " + bridge + " vanished");
  set_sysctl("/proc/sys/net/ipv6/conf/" + bridge + "/disable_ipv6", "1");
  nl.add_address(*index, pool.gateway(), pool.prefix);
  nl.set_up(*index);
  set_sysctl("/proc/sys/net/ipv4/conf/" + bridge + "/route_localnet", "1");
  set_sysctl("/proc/sys/net/ipv4/ip_forward", "1");
  return created;
}

void delete_bridge(const std::string& bridge) {
  Netlink().delete_link(bridge);
}

ContainerLink container_link(const std::string& bridge, uint32_t ip, const std::string& netns_dir) {
  char tag[5];
  std::snprintf(tag, sizeof tag, "%04x", fnv1a(bridge) & 0xffffu);
  ContainerLink l;
  l.veth = "g" + std::string(tag) + ipv4_hex(ip);
  l.netns = (fs::path(netns_dir) / ("gdn-" + std::string(tag) + "-" + ipv4_hex(ip))).string();
  return l;
}

bool container_net_intact(const ContainerLink& link) {
  return is_netns(link.netns) && Netlink().link_index(link.veth).has_value();
}

void build_container_net(const ContainerLink& link, const std::string& bridge, const Cidr& pool,
                         uint32_t ip, uint32_t mtu) {
  Netlink host;
  int ns = open_netns(link.netns);
  bool fresh_ns = ns < 0;
  if (fresh_ns) {
    host.delete_link(link.veth);  // its peer is in a namespace nobody can name any more
    ns = create_netns(link.netns);
  }
  try {
    Netlink inside(netlink_socket_in(ns));
    if (!host.link_index(link.veth)) {
      auto master = host.link_index(bridge);
      if (!master)
        throw sdk::Error(CC_E_INTERNAL, "guardian: bridge " + bridge + " is missing");
      host.create_veth({link.veth, "eth0", ns, *master, mtu});
    }
    auto lo = inside.link_index("lo");
    auto eth = inside.link_index("eth0");
    if (!lo || !eth)
      throw sdk::Error(CC_E_INTERNAL, "guardian: container interfaces missing in " + link.netns);
    inside.set_up(*lo);
    inside.add_address(*eth, ip, pool.prefix);
    inside.set_up(*eth);
    inside.set_default_route(*eth, pool.gateway());
  } catch (...) {
    ::close(ns);
    throw;
  }
  ::close(ns);
}

void remove_container_net(const ContainerLink& link) {
  // Deleting the host end takes the peer with it at once (the namespace itself may linger while
  // something still holds it; its file is gone either way).
  if (!link.veth.empty())
    Netlink().delete_link(link.veth);
  if (!link.netns.empty())
    remove_netns(link.netns);
}

void container_net_bytes(const ContainerLink& link, uint64_t& rx, uint64_t& tx) {
  auto stat = [&](const char* name) -> uint64_t {
    std::string v = read_line("/sys/class/net/" + link.veth + "/statistics/" + name);
    return v.empty() ? 0 : std::stoull(v);
  };
  rx = stat("tx_bytes");  // what the host end sends, the container receives
  tx = stat("rx_bytes");
}

}  // namespace concourse::guardian
