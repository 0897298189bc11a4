#include "firewall.hpp"

#include <sstream>

#include "command.hpp"

namespace concourse::guardian {

Firewall::Firewall(const std::string& bridge, const Cidr& pool, bool allow_host_access)
    : names_(bridge), pool_(pool), allow_host_access_(allow_host_access) {
  auto ipt = find_program("iptables");
  auto rst = find_program("iptables-restore");
  if (!ipt || !rst)
    throw sdk::Error(CC_E_UNAVAILABLE,
                     "guardian: iptables and iptables-restore are needed for container "
                     "networking (apt-get install iptables)");
  iptables_ = *ipt;
  restore_ = *rst;
}

std::vector<std::string> Firewall::words(const std::string& spec) {
  std::istringstream in(spec);
  std::vector<std::string> out;
  for (std::string w; in >> w;)
    out.push_back(w);
  return out;
}

Firewall::Out Firewall::iptables(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {iptables_, "-w"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = run_command(argv);
  return {r.status, r.output};
}

void Firewall::restore(const std::string& text, const std::string& what) {
  auto r = run_command({restore_, "-w", "--noflush"}, text);
  if (r.status != 0)
    throw sdk::Error(CC_E_INTERNAL, "guardian: iptables (" + what + ") failed: " + r.output);
}

void Firewall::install() {
  // The chains holding per-container entries are created once and never flushed here: other
  // guardian instances sharing the bridge keep theirs in them.
  iptables({"-N", names_.out});
  iptables({"-t", "nat", "-N", names_.dnat});
  restore(base_rules(names_, pool_, allow_host_access_), "base chains of " + names_.bridge);
  for (const auto& j : base_jumps(names_)) {
    std::vector<std::string> check = {"-t", j.table, "-C", j.chain};
    check.insert(check.end(), j.args.begin(), j.args.end());
    if (iptables(check).status == 0)
      continue;
    std::vector<std::string> add = {"-t", j.table, "-I", j.chain, "1"};
    add.insert(add.end(), j.args.begin(), j.args.end());
    auto r = iptables(add);
    if (r.status != 0)
      throw sdk::Error(CC_E_INTERNAL,
                       "guardian: iptables jump to " + j.args.back() + " failed: " + r.text);
  }
}

void Firewall::uninstall() {
  for (const auto& j : base_jumps(names_)) {
    std::vector<std::string> del = {"-t", j.table, "-D", j.chain};
    del.insert(del.end(), j.args.begin(), j.args.end());
    while (iptables(del).status == 0) {
    }
  }
  // Restricted containers' chains left by a crash reference OUT: remove them first.
  auto listed = iptables({"-S"});
  std::istringstream lines(listed.text);
  std::string prefix = "-N G-" + names_.bridge + "-";
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(prefix, 0) == 0)
      unrestrict(static_cast<uint32_t>(std::stoul(line.substr(prefix.size()), nullptr, 16)));
  }
  for (const auto& [table, chain] :
       std::vector<std::pair<std::string, std::string>>{{"filter", names_.fwd},
                                                        {"filter", names_.in},
                                                        {"filter", names_.out},
                                                        {"nat", names_.dnat},
                                                        {"nat", names_.post}}) {
    iptables({"-t", table, "-F", chain});
    iptables({"-t", table, "-X", chain});
  }
}

void Firewall::restrict(uint32_t ip, const std::vector<sdk::NetOutRule>& rules, bool fresh) {
  restore(container_rules(names_, ip, rules, fresh), "net out rules of " + ipv4_string(ip));
}

void Firewall::unrestrict(uint32_t ip) {
  std::string chain = names_.container(ip);
  std::vector<std::string> del = {"-D", names_.out, "-s", ipv4_string(ip) + "/32", "-j", chain};
  while (iptables(del).status == 0) {
  }
  iptables({"-F", chain});
  iptables({"-X", chain});
}

bool Firewall::restricted(uint32_t ip) {
  return iptables({"-S", names_.container(ip)}).status == 0;
}

void Firewall::add_port(uint32_t ip, uint32_t host_port, uint32_t container_port) {
  std::vector<std::string> args = {"-t", "nat", "-A", names_.dnat};
  for (auto& w : words(dnat_spec(ip, host_port, container_port)))
    args.push_back(w);
  auto r = iptables(args);
  if (r.status != 0)
    throw sdk::Error(CC_E_INTERNAL, "guardian: net in " + std::to_string(host_port) + " -> " +
                                        ipv4_string(ip) + ":" + std::to_string(container_port) +
                                        " failed: " + r.text);
}

bool Firewall::has_port(uint32_t ip, uint32_t host_port, uint32_t container_port) {
  std::vector<std::string> args = {"-t", "nat", "-C", names_.dnat};
  for (auto& w : words(dnat_spec(ip, host_port, container_port)))
    args.push_back(w);
  return iptables(args).status == 0;
}

void Firewall::remove_ports(uint32_t ip) {
  auto listed = iptables({"-t", "nat", "-S", names_.dnat});
  std::istringstream lines(listed.text);
  std::string target = "--to-destination " + ipv4_string(ip) + ":";
  std::string batch;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("-A ", 0) == 0 && line.find(target) != std::string::npos)
      batch += "-D" + line.substr(2) + "\n";
  }
  if (!batch.empty())
    restore("*nat\n" + batch + "COMMIT\n", "removing net in rules of " + ipv4_string(ip));
}

void Firewall::remove_container(uint32_t ip, bool restricted, const std::vector<cc_net_in>& ports) {
  std::string text;
  if (restricted) {
    std::string chain = names_.container(ip);
    text += "*filter\n-D " + names_.out + " -s " + ipv4_string(ip) + "/32 -j " + chain + "\n-F " +
            chain + "\n-X " + chain + "\nCOMMIT\n";
  }
  if (!ports.empty()) {
    text += "*nat\n";
    for (const auto& p : ports)
      text += "-D " + names_.dnat + " " + dnat_spec(ip, p.host_port, p.container_port) + "\n";
    text += "COMMIT\n";
  }
  if (text.empty() || run_command({restore_, "-w", "--noflush"}, text).status == 0)
    return;
  if (restricted)
    unrestrict(ip);
  if (!ports.empty())
    remove_ports(ip);
}

}  // namespace concourse::guardian
