// A minimal rtnetlink client for what guardian's networking needs: links (bridge, veth pair),
// addresses and the default route. Talking netlink directly costs microseconds per change where
// each `ip` process costs milliseconds, which matters on every container create.
//
// A netlink socket acts in the network namespace it was opened in, so one Netlink per namespace.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace concourse::guardian {

struct VethSpec {
  std::string host_name;  // the end left in this namespace, enslaved to `master`
  std::string peer_name;  // the end created directly inside `peer_netns_fd`
  int peer_netns_fd = -1;
  int master_index = 0;
  uint32_t mtu = 0;  // 0 = kernel default
};

class Netlink {
 public:
  Netlink();  // opened in the calling thread's network namespace; throws sdk::Error
  explicit Netlink(int fd) : fd_(fd) {}  // takes ownership of an open NETLINK_ROUTE socket
  ~Netlink();
  Netlink(const Netlink&) = delete;
  Netlink& operator=(const Netlink&) = delete;

  std::optional<int> link_index(const std::string& name);
  // Creates the bridge, up, with a fixed MAC (so it never changes as ports come and go).
  // Returns false when it already existed. Throws sdk::Error on other failures.
  bool create_bridge(const std::string& name, uint32_t mtu, const uint8_t mac[6]);
  void create_veth(const VethSpec& spec);
  void set_up(int index);
  // Adds ip/prefix (host byte order); an address already there is fine.
  void add_address(int index, uint32_t ip, int prefix);
  // Sets (or replaces) the default route via gateway on the link.
  void set_default_route(int index, uint32_t gateway);
  // Deletes the link by name; false when there was none.
  bool delete_link(const std::string& name);
  // By index: names can be reused by then, indexes are not (they only grow).
  bool delete_link(int index);

 private:
  // Sends the request and waits for the kernel's answer: 0 or a negative errno.
  int transact(void* msg, uint32_t len, int* index_out = nullptr);
  int fd_ = -1;
  uint32_t seq_ = 0;
};

}  // namespace concourse::guardian
