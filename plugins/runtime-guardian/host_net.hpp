// The host side of guardian's networking: the bridge, the kernel settings it needs, the host's
// outbound interface (for the default MTU and the external IP), and building or tearing down
// one container's namespace + veth pair with netlink.
#pragma once

#include <cstdint>
#include <string>

#include "ip_pool.hpp"

namespace concourse::guardian {

struct OutboundInterface {
  std::string name;  // "" when the host has no default route
  uint32_t mtu = 1500;
  std::string ipv4;
};
OutboundInterface outbound_interface();

// Creates the bridge (gateway address, fixed MAC, up) if missing and sets what guardian's
// networking relies on: IPv4 forwarding, route_localnet on the bridge (net_in reached on
// 127.0.0.1), no IPv6 on the bridge (else containers reach the host over link-local
// addresses). Returns true when it created the bridge. Throws sdk::Error.
bool ensure_bridge(const std::string& bridge, const Cidr& pool, uint32_t mtu);
bool bridge_exists(const std::string& bridge);
void delete_bridge(const std::string& bridge);

// Names of a container's interface (host end) and namespace file; `tag` tells bridges apart.
struct ContainerLink {
  std::string veth;   // host end, at most 15 characters
  std::string netns;  // file under the namespace directory
};
ContainerLink container_link(const std::string& bridge, uint32_t ip, const std::string& netns_dir);

// Builds (or repairs) the namespace at link.netns with eth0 = ip/prefix, lo up and a default
// route via the gateway, its veth peer on the bridge. Existing pieces are reused.
void build_container_net(const ContainerLink& link, const std::string& bridge, const Cidr& pool,
                         uint32_t ip, uint32_t mtu);
bool container_net_intact(const ContainerLink& link);
// Removes the veth pair and the namespace file (an empty name skips that part). Idempotent.
void remove_container_net(const ContainerLink& link);

// Bytes through the container's interface, seen from inside (rx = received by the container).
void container_net_bytes(const ContainerLink& link, uint64_t& rx, uint64_t& tx);

}  // namespace concourse::guardian
