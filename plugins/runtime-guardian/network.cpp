#include "network.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>

#include "netlink.hpp"

namespace concourse::guardian {
namespace fs = std::filesystem;

// The in-process mutex and the bridge's lock file (other guardian processes), held together.
class Network::Lock {
 public:
  explicit Lock(Network& n) : guard_(n.mu_), fd_(n.lock_fd_) {
    while (::flock(fd_, LOCK_EX) < 0 && errno == EINTR) {
    }
  }
  ~Lock() { ::flock(fd_, LOCK_UN); }
  Lock(const Lock&) = delete;
  Lock& operator=(const Lock&) = delete;

 private:
  std::lock_guard<std::mutex> guard_;
  int fd_;
};

Network::Network(const NetworkConfig& cfg, const sdk::Host& host)
    : cfg_(cfg), host_(host), pool_(parse_cidr(cfg.pool)) {
  auto out = outbound_interface();
  mtu_ = cfg_.mtu != 0 ? cfg_.mtu : out.mtu;
  external_ip_ = out.ipv4;
  fw_ = std::make_unique<Firewall>(cfg_.bridge, pool_, cfg_.allow_host_access);
  leases_ = std::make_unique<Leases>((fs::path(cfg_.state_dir) / cfg_.bridge).string());
  std::string lock = (fs::path(leases_->dir()) / "lock").string();
  lock_fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0)
    throw sdk::Error(CC_E_INTERNAL, "guardian: " + lock + ": " + std::strerror(errno));
  deleter_ = std::thread([this] { delete_links(); });
}

Network::~Network() {
  {
    std::lock_guard g(doomed_mu_);
    stopping_ = true;
  }
  doomed_cv_.notify_all();
  deleter_.join();  // after the queue is drained
  ::close(lock_fd_);
}

void Network::delete_links() {
  std::unique_lock g(doomed_mu_);
  for (;;) {
    doomed_cv_.wait(g, [&] { return stopping_ || !doomed_.empty(); });
    if (doomed_.empty())
      return;  // stopping, nothing left
    Doomed d = std::move(doomed_.front());
    doomed_.pop_front();
    ++deleting_;
    g.unlock();
    finish_detach(d);
    g.lock();
    --deleting_;
    doomed_cv_.notify_all();
  }
}

void Network::settle() {
  std::unique_lock g(doomed_mu_);
  doomed_cv_.wait(g, [&] { return doomed_.empty() && deleting_ == 0; });
}

void Network::finish_detach(const Doomed& d) {
  const ContainerNet& n = d.net;
  try {
    if (d.veth_index != 0)
      Netlink().delete_link(d.veth_index);
  } catch (const std::exception& e) {
    host_.warn("container-veth-delete-failed", {{"ip", ipv4_string(n.ip)}, {"error", e.what()}});
  }
  Lock lock(*this);
  try {
    fw_->remove_container(n.ip, n.restricted, n.ports);
  } catch (const std::exception& e) {
    // The leases go anyway: whoever gets the address next replaces what is left of this.
    host_.warn("container-firewall-teardown-failed",
               {{"ip", ipv4_string(n.ip)}, {"error", e.what()}});
  }
  for (const auto& p : n.ports)
    leases_->release_port(p.host_port, d.owner);
  leases_->release_ip(n.ip, d.owner);
}

std::string Network::netns_path(uint32_t ip) const {
  return container_link(cfg_.bridge, ip, cfg_.netns_dir).netns;
}

void Network::ensure_bridge_locked() {
  ensure_bridge(cfg_.bridge, pool_, mtu_);
  fw_->install();
}

void Network::start(const std::vector<KnownContainer>& known, const std::string& depot) {
  Lock lock(*this);
  ensure_bridge_locked();
  std::set<std::string> owners;
  for (const auto& k : known) {
    owners.insert(k.owner);
    try {
      if (k.net->ip != 0)
        repair(k);
    } catch (const std::exception& e) {
      // One broken container must not keep the worker from serving the others.
      host_.warn("container-network-repair-failed", {{"owner", k.owner}, {"error", e.what()}});
    }
  }
  // Leases of ours no container has (a create or destroy cut short), and leases whose owner
  // directory is gone (any instance's): nobody will release them otherwise.
  std::string ours = depot + "/";
  for (const auto& l : leases_->list()) {
    bool mine = l.owner.rfind(ours, 0) == 0;
    if ((mine && owners.count(l.owner) == 0) || Leases::stale(l))
      reap_logged(l);
  }
  host_.info("guardian-network-ready", {{"bridge", cfg_.bridge},
                                        {"pool", pool_.str()},
                                        {"mtu", std::to_string(mtu_)},
                                        {"allow_host_access", cfg_.allow_host_access ? "1" : "0"}});
}

void Network::repair(const KnownContainer& k) {
  ContainerNet& n = *k.net;
  if (!pool_.contains(n.ip) || n.ip < pool_.first_container() || n.ip > pool_.last_container()) {
    host_.warn("container-address-outside-pool",
               {{"owner", k.owner}, {"ip", ipv4_string(n.ip)}, {"pool", pool_.str()}});
    return;  // the pool (or bridge) changed under a running container: leave it alone
  }
  if (!leases_->claim_ip(n.ip, k.owner)) {
    host_.warn("container-address-taken",
               {{"owner", k.owner}, {"ip", ipv4_string(n.ip)}, {"action", "left alone"}});
    return;
  }
  auto link = container_link(cfg_.bridge, n.ip, cfg_.netns_dir);
  if (!container_net_intact(link))
    build_container_net(link, cfg_.bridge, pool_, n.ip, mtu_);
  if (n.restricted)
    fw_->restrict(n.ip, n.rules, !fw_->restricted(n.ip));
  for (const auto& p : n.ports) {
    leases_->take_port(p.host_port, k.owner, ipv4_string(n.ip));
    if (!fw_->has_port(n.ip, p.host_port, p.container_port))
      fw_->add_port(n.ip, p.host_port, p.container_port);
  }
}

void Network::reap_logged(const Lease& l) {
  try {
    reap(l);
  } catch (const std::exception& e) {
    host_.warn("guardian-lease-reap-failed", {{"key", l.key}, {"error", e.what()}});
  }
}

void Network::reap(const Lease& l) {
  host_.info("guardian-lease-reaped", {{"kind", l.kind}, {"key", l.key}, {"owner", l.owner}});
  if (l.kind == "ports") {
    if (auto ip = parse_ipv4(l.detail))
      fw_->remove_ports(*ip);
    leases_->release_port(static_cast<uint32_t>(std::stoul(l.key)), l.owner);
    return;
  }
  auto ip = parse_ipv4(l.key);
  if (!ip)
    return;
  fw_->unrestrict(*ip);
  fw_->remove_ports(*ip);
  remove_container_net(container_link(cfg_.bridge, *ip, cfg_.netns_dir));
  leases_->release_ip(*ip, l.owner);
}

ContainerNet Network::attach(const std::string& owner) {
  ContainerNet n;
  for (int attempt = 0; n.ip == 0; ++attempt) {
    {
      Lock lock(*this);
      // Another instance may have removed an unused bridge (destroy-on-exit) since start.
      if (!bridge_exists(cfg_.bridge))
        ensure_bridge_locked();
      if (auto ip = leases_->take_ip(pool_, owner, cursor_)) {
        n.ip = *ip;
        break;
      }
    }
    if (attempt > 0) {
      throw sdk::Error(CC_E_LIMIT, "guardian: network pool " + pool_.str() +
                                       " is exhausted (every address is leased; raise "
                                       "--garden-network-pool)");
    }
    settle();  // addresses of containers destroyed a moment ago
  }
  try {
    build_container_net(container_link(cfg_.bridge, n.ip, cfg_.netns_dir), cfg_.bridge, pool_, n.ip,
                        mtu_);
  } catch (...) {
    detach(n, owner);
    throw;
  }
  return n;
}

void Network::validate(const std::vector<sdk::NetOutRule>& rules) {
  for (const auto& r : rules)
    validate_rule(r);
}

void Network::apply(ContainerNet& net, const std::string& owner,
                    const std::vector<sdk::NetOutRule>& rules,
                    const std::vector<cc_net_in>& ports) {
  if (!rules.empty()) {
    bool open = false;
    for (const auto& r : rules)
      open = open || allows_everything(r);
    net.rules = rules;
    if (!open) {
      Lock lock(*this);
      fw_->restrict(net.ip, rules, true);
      net.restricted = true;
    }
  }
  for (const auto& p : ports)
    net_in(net, owner, p.host_port, p.container_port);
}

cc_net_in Network::net_in(ContainerNet& net, const std::string& owner, uint32_t host_port,
                          uint32_t container_port) {
  if (net.ip == 0)
    throw sdk::Error(CC_E_UNSUPPORTED,
                     "net in: this container was created before guardian had networking");
  if (host_port > 65535 || container_port > 65535)
    throw sdk::Error(CC_E_INVALID, "net in: ports must be between 0 and 65535");
  Lock lock(*this);
  std::string ip = ipv4_string(net.ip);
  if (host_port == 0) {
    auto p = leases_->take_any_port(cfg_.port_pool_start, cfg_.port_pool_size, owner, ip);
    if (!p)
      throw sdk::Error(CC_E_LIMIT, "net in: no free host port in the pool");
    host_port = *p;
  } else if (!leases_->take_port(host_port, owner, ip)) {
    throw sdk::Error(CC_E_EXISTS,
                     "net in: host port " + std::to_string(host_port) + " is already mapped");
  }
  if (container_port == 0)
    container_port = host_port;  // as Garden: the same port inside
  try {
    fw_->add_port(net.ip, host_port, container_port);
  } catch (...) {
    leases_->release_port(host_port, owner);
    throw;
  }
  net.ports.push_back({host_port, container_port});
  return net.ports.back();
}

void Network::net_out(ContainerNet& net, const sdk::NetOutRule& rule) {
  validate_rule(rule);
  if (net.ip == 0)
    throw sdk::Error(CC_E_UNSUPPORTED,
                     "net out: this container was created before guardian had networking");
  Lock lock(*this);
  auto rules = net.rules;
  rules.push_back(rule);
  bool open = false;
  for (const auto& r : rules)
    open = open || allows_everything(r);
  if (!open)
    fw_->restrict(net.ip, rules, !net.restricted);
  else if (net.restricted)
    fw_->unrestrict(net.ip);
  net.rules = std::move(rules);
  net.restricted = !open;
}

void Network::detach(const ContainerNet& net, const std::string& owner) {
  if (net.ip == 0)
    return;
  auto link = container_link(cfg_.bridge, net.ip, cfg_.netns_dir);
  int veth_index = 0;
  try {
    remove_container_net({"", link.netns});  // nothing can join it any more
    // By index: by the time the thread gets to it, the name may belong to someone else.
    veth_index = Netlink().link_index(link.veth).value_or(0);
  } catch (const std::exception& e) {
    host_.warn("container-netns-teardown-failed",
               {{"ip", ipv4_string(net.ip)}, {"error", e.what()}});
  }
  {
    std::lock_guard g(doomed_mu_);
    doomed_.push_back({net, owner, veth_index});
  }
  doomed_cv_.notify_all();
}

void Network::shutdown_if_unused() {
  settle();
  Lock lock(*this);
  for (const auto& l : leases_->list()) {
    if (Leases::stale(l))
      reap_logged(l);
  }
  if (!leases_->empty())
    return;
  fw_->uninstall();
  delete_bridge(cfg_.bridge);
  host_.info("guardian-network-removed", {{"bridge", cfg_.bridge}});
}

void Network::bytes(const ContainerNet& net, uint64_t& rx, uint64_t& tx) const {
  rx = tx = 0;
  if (net.ip != 0)
    container_net_bytes(container_link(cfg_.bridge, net.ip, cfg_.netns_dir), rx, tx);
}

}  // namespace concourse::guardian
