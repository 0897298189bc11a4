#include "firewall_rules.hpp"

namespace concourse::guardian {

namespace {

const char* protocol_name(uint32_t p) {
  switch (p) {
    case CC_PROTO_TCP:
      return "tcp";
    case CC_PROTO_UDP:
      return "udp";
    case CC_PROTO_ICMP:
      return "icmp";
    default:
      return nullptr;
  }
}

// One destination match per network: a single address, a CIDR when the range is one, else
// an iprange. Empty = any destination.
std::vector<std::string> destinations(const sdk::NetOutRule& r) {
  std::vector<std::string> out;
  for (const auto& [start_s, end_s] : r.networks) {
    uint32_t start = *parse_ipv4(start_s), end = *parse_ipv4(end_s);
    int prefix = 32;
    while (prefix > 0) {
      uint32_t host_bits = 0xffffffffu >> (prefix - 1);
      if ((start & host_bits) != 0 || (start | host_bits) > end)
        break;
      --prefix;
    }
    uint32_t host_bits = prefix == 32 ? 0 : (0xffffffffu >> prefix);
    if ((start | host_bits) == end)
      out.push_back("-d " + ipv4_string(start) + "/" + std::to_string(prefix));
    else
      out.push_back("-m iprange --dst-range " + start_s + "-" + end_s);
  }
  if (out.empty())
    out.emplace_back();
  return out;
}

std::vector<std::string> port_matches(const sdk::NetOutRule& r) {
  std::vector<std::string> out;
  for (const auto& [a, b] : r.ports)
    out.push_back("--dport " + std::to_string(a) + (a == b ? "" : ":" + std::to_string(b)));
  if (out.empty())
    out.emplace_back();
  return out;
}

std::string join(std::initializer_list<std::string> parts) {
  std::string s;
  for (const auto& p : parts) {
    if (p.empty())
      continue;
    if (!s.empty())
      s += ' ';
    s += p;
  }
  return s;
}

}  // namespace

ChainNames::ChainNames(const std::string& br)
    : in("GDN-" + br + "-IN"),
      fwd("GDN-" + br + "-FWD"),
      out("GDN-" + br + "-OUT"),
      dnat("GDN-" + br + "-DNAT"),
      post("GDN-" + br + "-POST"),
      bridge(br) {}

std::string ChainNames::container(uint32_t ip) const {
  return "G-" + bridge + "-" + ipv4_hex(ip);
}

std::string base_rules(const ChainNames& n, const Cidr& pool, bool allow_host_access) {
  const std::string& br = n.bridge;
  std::string t = "*filter\n:" + n.in + " - [0:0]\n:" + n.fwd + " - [0:0]\n";
  t += "-A " + n.in + " -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n";
  t += "-A " + n.in +
       (allow_host_access ? " -j ACCEPT\n" : " -j REJECT --reject-with icmp-port-unreachable\n");
  t += "-A " + n.fwd + " -i " + br + " -o " + br + " -j ACCEPT\n";
  t += "-A " + n.fwd + " -o " + br + " -m conntrack --ctstate RELATED,ESTABLISHED,DNAT -j ACCEPT\n";
  t += "-A " + n.fwd + " -o " + br + " -j DROP\n";
  t += "-A " + n.fwd + " -i " + br + " -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n";
  t += "-A " + n.fwd + " -i " + br + " -j " + n.out + "\n";
  t += "-A " + n.fwd + " -i " + br + " -j ACCEPT\nCOMMIT\n";
  t += "*nat\n:" + n.post + " - [0:0]\n";
  t += "-A " + n.post + " -s " + pool.str() + " ! -o " + br + " -j MASQUERADE\n";
  t += "-A " + n.post + " -s 127.0.0.0/8 -o " + br + " -j MASQUERADE\nCOMMIT\n";
  return t;
}

std::vector<Jump> base_jumps(const ChainNames& n) {
  return {{"filter", "INPUT", {"-i", n.bridge, "-j", n.in}},
          {"filter", "FORWARD", {"-j", n.fwd}},
          {"nat", "PREROUTING", {"-m", "addrtype", "--dst-type", "LOCAL", "-j", n.dnat}},
          {"nat", "OUTPUT", {"-m", "addrtype", "--dst-type", "LOCAL", "-j", n.dnat}},
          {"nat", "POSTROUTING", {"-j", n.post}}};
}

void validate_rule(const sdk::NetOutRule& r) {
  auto invalid = [](const std::string& m) {
    return sdk::Error(CC_E_INVALID, "net out rule: " + m);
  };
  if (r.protocol == CC_PROTO_ICMPV6)
    throw sdk::Error(CC_E_UNSUPPORTED, "net out rule: guardian containers have IPv4 only");
  if (r.protocol > CC_PROTO_ICMPV6)
    throw invalid("unknown protocol " + std::to_string(r.protocol));
  bool tcp_udp = r.protocol == CC_PROTO_TCP || r.protocol == CC_PROTO_UDP;
  if (!r.ports.empty() && !tcp_udp)
    throw invalid("ports need protocol tcp or udp");
  if ((r.icmp_type >= 0 || r.icmp_code >= 0) && r.protocol != CC_PROTO_ICMP)
    throw invalid("icmps need protocol icmp");
  if (r.icmp_code >= 0 && r.icmp_type < 0)
    throw invalid("an icmp code needs an icmp type");
  for (const auto& [a, b] : r.ports) {
    if (a == 0 || a > b || b > 65535)
      throw invalid("bad port range " + std::to_string(a) + "-" + std::to_string(b));
  }
  for (const auto& [s, e] : r.networks) {
    auto start = parse_ipv4(s), end = parse_ipv4(e);
    if (!start || !end)
      throw sdk::Error(CC_E_UNSUPPORTED,
                       "net out rule: network " + s + "-" + e + ": guardian supports IPv4 only");
    if (*start > *end)
      throw invalid("network " + s + "-" + e + " starts after it ends");
  }
}

bool allows_everything(const sdk::NetOutRule& r) {
  if (r.protocol != CC_PROTO_ALL || !r.ports.empty() || r.icmp_type >= 0 || r.log)
    return false;
  if (r.networks.empty())
    return true;
  for (const auto& [s, e] : r.networks) {
    if (parse_ipv4(s) == 0u && parse_ipv4(e) == 0xffffffffu)
      return true;
  }
  return false;
}

std::vector<std::string> accept_specs(const sdk::NetOutRule& r, const std::string& log_prefix) {
  const char* proto = protocol_name(r.protocol);
  std::string p = proto != nullptr ? std::string("-p ") + proto : "";
  std::string icmp;
  if (r.protocol == CC_PROTO_ICMP && r.icmp_type >= 0) {
    icmp = "--icmp-type " + std::to_string(r.icmp_type) +
           (r.icmp_code >= 0 ? "/" + std::to_string(r.icmp_code) : "");
  }
  std::vector<std::string> out;
  for (const auto& dst : destinations(r)) {
    for (const auto& port : port_matches(r)) {
      std::string match = join({p, dst, port, icmp});
      if (r.log)
        out.push_back(join({match, "-m conntrack --ctstate NEW -j LOG --log-prefix", log_prefix}));
      out.push_back(join({match, "-j ACCEPT"}));
    }
  }
  return out;
}

std::string container_rules(const ChainNames& n, uint32_t ip,
                            const std::vector<sdk::NetOutRule>& rules, bool dispatch) {
  std::string chain = n.container(ip);
  std::string t = "*filter\n:" + chain + " - [0:0]\n";
  for (const auto& r : rules) {
    for (const auto& spec : accept_specs(r, chain + ":"))
      t += "-A " + chain + " " + spec + "\n";
  }
  t += "-A " + chain + " -j REJECT --reject-with icmp-port-unreachable\n";
  if (dispatch)
    t += "-A " + n.out + " -s " + ipv4_string(ip) + "/32 -j " + chain + "\n";
  return t + "COMMIT\n";
}

std::string dnat_spec(uint32_t ip, uint32_t host_port, uint32_t container_port) {
  return "-p tcp --dport " + std::to_string(host_port) + " -j DNAT --to-destination " +
         ipv4_string(ip) + ":" + std::to_string(container_port);
}

}  // namespace concourse::guardian
