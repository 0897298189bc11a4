// The iptables rules of guardian's networking, as text (pure, unit-tested): the bridge's base
// chains and what a container's net_out rules become. firewall.cpp applies them.
//
// Per bridge (shared by every container on it):
//   filter GDN-<br>-IN    from INPUT for -i <br>: replies, then REJECT (or ACCEPT with
//                         allow-host-access): containers cannot reach the host's addresses.
//   filter GDN-<br>-FWD   from FORWARD: container<->container over the bridge, replies and net_in
//                         into the bridge, nothing else in; out of the bridge: replies, then the
//                         container's own chain if it has net_out rules, else ACCEPT.
//   filter GDN-<br>-OUT   the dispatch to restricted containers' chains (-s ip -j G-<br>-<hex>).
//   nat GDN-<br>-DNAT     net_in: from PREROUTING and OUTPUT for local destinations.
//   nat GDN-<br>-POST     masquerade of the pool leaving the bridge, and of loopback sources
//                         entering it (net_in reached on 127.0.0.1).
#pragma once

#include <concourse/sdk.hpp>

#include <string>
#include <vector>

#include "ip_pool.hpp"

namespace concourse::guardian {

struct ChainNames {
  explicit ChainNames(const std::string& bridge);
  std::string in, fwd, out, dnat, post;
  std::string bridge;
  std::string container(uint32_t ip) const;  // a restricted container's chain
};

// iptables-restore input (--noflush) that (re)fills the base chains IN, FWD and POST.
std::string base_rules(const ChainNames& n, const Cidr& pool, bool allow_host_access);

// The jumps from the built-in chains, as {table, iptables args after -I/-C/-D}.
struct Jump {
  std::string table, chain;
  std::vector<std::string> args;
};
std::vector<Jump> base_jumps(const ChainNames& n);

// Throws sdk::Error: CC_E_INVALID for contradictions (ports without tcp/udp, icmp codes on
// another protocol, start > end), CC_E_UNSUPPORTED for IPv6.
void validate_rule(const sdk::NetOutRule& rule);

// A rule that permits all traffic: the same as having no restriction at all.
bool allows_everything(const sdk::NetOutRule& rule);

// The iptables rule specs (after "-A <chain>") that ACCEPT what `rule` allows; with rule.log, a
// LOG of each new connection goes first.
std::vector<std::string> accept_specs(const sdk::NetOutRule& rule, const std::string& log_prefix);

// iptables-restore input (--noflush) that (re)fills a restricted container's chain; with
// `dispatch` it also adds the jump to it from the OUT chain.
std::string container_rules(const ChainNames& n, uint32_t ip,
                            const std::vector<sdk::NetOutRule>& rules, bool dispatch);

// The DNAT rule spec of a port mapping (after "-A <dnat chain>").
std::string dnat_spec(uint32_t ip, uint32_t host_port, uint32_t container_port);

}  // namespace concourse::guardian
