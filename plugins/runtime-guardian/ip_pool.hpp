// Container addresses and host ports. The pool (--garden-network-pool) is one subnet on one
// bridge: the first address is the bridge's (the containers' gateway), each container gets one
// of the rest. Leases are files, so every guardian instance on the host that shares the bridge
// (and a restarted worker) sees the same allocation: `<dir>/ips/<a.b.c.d>` and
// `<dir>/ports/<port>`, created with O_EXCL, holding the owner (the container's bundle
// directory). A lease whose owner directory is gone is stale and may be reclaimed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace concourse::guardian {

struct Cidr {
  uint32_t network = 0;  // host byte order
  int prefix = 0;
  uint32_t mask() const { return prefix == 0 ? 0 : 0xffffffffu << (32 - prefix); }
  uint32_t broadcast() const { return network | ~mask(); }
  uint32_t gateway() const { return network + 1; }
  uint32_t first_container() const { return network + 2; }
  uint32_t last_container() const { return broadcast() - 1; }
  bool contains(uint32_t ip) const { return (ip & mask()) == network; }
  std::string str() const;
};

// "10.80.0.0/16": the network address must be aligned and leave room for a gateway and at
// least one container (prefix <= 30). Throws sdk::Error(CC_E_INVALID).
Cidr parse_cidr(const std::string& text);
std::optional<uint32_t> parse_ipv4(const std::string& text);  // host byte order
std::string ipv4_string(uint32_t ip);
std::string ipv4_hex(uint32_t ip);  // 8 lowercase hex digits, for interface and chain names

struct Lease {
  std::string kind;  // "ips" or "ports"
  std::string key;   // the address or the port, as the file is named
  std::string owner;
  std::string detail;  // ports: the container address the port maps to
};

class Leases {
 public:
  explicit Leases(std::string dir);  // creates dir/ips and dir/ports
  const std::string& dir() const { return dir_; }

  // The first free address in the pool from `cursor` on (wrapping); cursor moves past it.
  std::optional<uint32_t> take_ip(const Cidr& pool, const std::string& owner, uint32_t& cursor);
  // Re-takes an address on recovery. False when another owner holds it.
  bool claim_ip(uint32_t ip, const std::string& owner);
  // Releases are owner-checked: a lease reaped and re-taken by someone else meanwhile stays.
  void release_ip(uint32_t ip, const std::string& owner);

  // A specific host port; false when leased already.
  bool take_port(uint32_t port, const std::string& owner, const std::string& detail);
  // The first free port in [first, first+count) that nothing on the host listens on either.
  std::optional<uint32_t> take_any_port(uint32_t first, uint32_t count, const std::string& owner,
                                        const std::string& detail);
  void release_port(uint32_t port, const std::string& owner);

  std::vector<Lease> list() const;
  static bool stale(const Lease& l);
  bool empty() const;

 private:
  bool create(const std::string& path, const std::string& text);
  static void release(const std::string& path, const std::string& owner);
  std::string dir_;
  uint32_t port_cursor_ = 0;
};

}  // namespace concourse::guardian
