// Guardian's container networking: one bridge per worker (shared with other guardian instances
// configured with the same bridge), a namespace + veth pair + address per container, the
// firewall for host access, net_out and net_in, and leases that survive restarts.
//
// Outbound policy: a container with no net_out rules may reach anything but the host (Concourse
// sends an allow-all rule for every non-hermetic step anyway); once it has rules, only what they
// allow leaves the bridge. Containers on the bridge always reach each other.
#pragma once

#include <concourse/sdk.hpp>

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "firewall.hpp"
#include "host_net.hpp"
#include "ip_pool.hpp"

namespace concourse::guardian {

struct NetworkConfig {
  std::string bridge = "cc-gdn0";
  std::string pool = "10.80.0.0/16";
  uint32_t mtu = 0;  // 0 = the MTU of the host's outbound interface
  bool allow_host_access = false;
  std::string state_dir = "/run/concourse-guardian";  // leases: <state_dir>/<bridge>/
  std::string netns_dir = "/run/netns";
  uint32_t port_pool_start = 61001, port_pool_size = 4534;  // Garden's defaults
};

// A container's networking as its state.json keeps it.
struct ContainerNet {
  uint32_t ip = 0;  // 0 = none: created before guardian had networking (loopback only)
  std::vector<cc_net_in> ports;
  std::vector<sdk::NetOutRule> rules;
  bool restricted = false;  // has rules and none of them allows everything
};

// A container known at start-up: its lease owner (the bundle directory) and networking.
struct KnownContainer {
  std::string owner;
  ContainerNet* net;
};

class Network {
 public:
  Network(const NetworkConfig& cfg, const sdk::Host& host);
  ~Network();
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;

  // The bridge, its firewall and kernel settings; then the containers of a restarted worker
  // (re-leased and repaired where a piece is missing) and leases nobody owns any more.
  void start(const std::vector<KnownContainer>& known, const std::string& depot);

  // A new container's address and namespace; owner is its bundle directory (existing).
  ContainerNet attach(const std::string& owner);
  // Its creation-time rules and port mappings (rules checked with validate first).
  void apply(ContainerNet& net, const std::string& owner, const std::vector<sdk::NetOutRule>& rules,
             const std::vector<cc_net_in>& ports);
  static void validate(const std::vector<sdk::NetOutRule>& rules);
  cc_net_in net_in(ContainerNet& net, const std::string& owner, uint32_t host_port,
                   uint32_t container_port);
  void net_out(ContainerNet& net, const sdk::NetOutRule& rule);
  // Namespace, firewall rules, veth and leases of the container. Idempotent; logs failures.
  // Only the namespace file goes at once; the rest on a background thread (deleting a veth or
  // an iptables chain waits for an RCU grace period: tens of milliseconds), its leases last, so
  // nobody reuses the address or a port before what used it is gone.
  void detach(const ContainerNet& net, const std::string& owner);
  // Waits until every detached container's veth is gone and its address released.
  void settle();
  // When no container on the bridge is left (destroy-on-exit): removes bridge and firewall.
  void shutdown_if_unused();

  std::string netns_path(uint32_t ip) const;
  std::string gateway() const { return ipv4_string(pool_.gateway()); }
  const std::string& external_ip() const { return external_ip_; }
  uint32_t mtu() const { return mtu_; }
  void bytes(const ContainerNet& net, uint64_t& rx, uint64_t& tx) const;

 private:
  class Lock;
  struct Doomed {
    ContainerNet net;
    std::string owner;
    int veth_index;  // 0 = already gone
  };
  void ensure_bridge_locked();
  void delete_links();  // the background thread
  void finish_detach(const Doomed& d);
  void repair(const KnownContainer& k);
  void reap(const Lease& l);
  void reap_logged(const Lease& l);  // reap, a failure only logged

  NetworkConfig cfg_;
  const sdk::Host& host_;
  Cidr pool_;
  uint32_t mtu_ = 1500;
  std::string external_ip_;
  std::unique_ptr<Firewall> fw_;
  std::unique_ptr<Leases> leases_;
  std::mutex mu_;     // with the lock file: one change of bridge, firewall or leases at a time
  int lock_fd_ = -1;  // flock'ed across guardian instances sharing the bridge
  uint32_t cursor_ = 0;

  std::mutex doomed_mu_;
  std::condition_variable doomed_cv_;
  std::deque<Doomed> doomed_;
  size_t deleting_ = 0;
  bool stopping_ = false;
  std::thread deleter_;  // last: started once everything it uses exists
};

}  // namespace concourse::guardian
