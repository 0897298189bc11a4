// Applies firewall_rules.hpp with iptables: `iptables-restore --noflush` for batches (one
// process per change), `iptables` for single rules. Callers serialise changes per bridge (the
// network lock); every removal is idempotent.
#pragma once

#include <concourse/sdk.hpp>

#include <string>
#include <vector>

#include "firewall_rules.hpp"

namespace concourse::guardian {

class Firewall {
 public:
  // Throws sdk::Error(CC_E_UNAVAILABLE) when iptables is not installed.
  Firewall(const std::string& bridge, const Cidr& pool, bool allow_host_access);

  // The base chains and the jumps to them (each jump once, however often this runs).
  void install();
  // Removes the jumps and every chain of the bridge (when no container uses it any more).
  void uninstall();

  // (Re)fills the chain of a container whose net_out rules restrict it; `fresh` when the
  // container had no chain yet (so the dispatch jump is added too).
  void restrict(uint32_t ip, const std::vector<sdk::NetOutRule>& rules, bool fresh);
  void unrestrict(uint32_t ip);
  bool restricted(uint32_t ip);  // its chain exists

  void add_port(uint32_t ip, uint32_t host_port, uint32_t container_port);
  bool has_port(uint32_t ip, uint32_t host_port, uint32_t container_port);
  // Deletes every DNAT rule to ip (also ones no state remembers).
  void remove_ports(uint32_t ip);
  // A destroyed container's chain and mappings in one iptables-restore; when that fails
  // (something was gone already) the thorough idempotent way above.
  void remove_container(uint32_t ip, bool restricted, const std::vector<cc_net_in>& ports);

  const ChainNames& names() const { return names_; }

 private:
  struct Out {
    int status;
    std::string text;
  };
  Out iptables(const std::vector<std::string>& args);
  void restore(const std::string& text, const std::string& what);
  static std::vector<std::string> words(const std::string& spec);

  ChainNames names_;
  Cidr pool_;
  bool allow_host_access_;
  std::string iptables_, restore_;
};

}  // namespace concourse::guardian
