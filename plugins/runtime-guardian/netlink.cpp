#include "netlink.hpp"

#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <cerrno>
#include <concourse/sdk.hpp>
#include <cstring>
#include <vector>

namespace concourse::guardian {

namespace {

// A request under construction: nlmsghdr, a family header, then attributes (nestable).
class Msg {
 public:
  Msg(uint16_t type, uint16_t flags) : buf_(NLMSG_HDRLEN, 0) {
    hdr()->nlmsg_type = type;
    hdr()->nlmsg_flags = static_cast<uint16_t>(NLM_F_REQUEST | flags);
  }
  template <class T>
  void family(const T& t) {
    append(&t, sizeof t);
  }
  void attr(uint16_t type, const void* data, size_t len) {
    rtattr a{};
    a.rta_type = type;
    a.rta_len = static_cast<unsigned short>(RTA_LENGTH(len));
    append(&a, sizeof a);
    append(data, len);
  }
  void attr_u32(uint16_t type, uint32_t v) { attr(type, &v, sizeof v); }
  void attr_str(uint16_t type, const std::string& s) { attr(type, s.c_str(), s.size() + 1); }
  size_t begin(uint16_t type) {
    size_t at = buf_.size();
    attr(type, nullptr, 0);
    return at;
  }
  void end(size_t at) {
    auto* a = reinterpret_cast<rtattr*>(buf_.data() + at);
    a->rta_len = static_cast<unsigned short>(buf_.size() - at);
  }
  nlmsghdr* hdr() { return reinterpret_cast<nlmsghdr*>(buf_.data()); }
  uint32_t finish() {
    hdr()->nlmsg_len = static_cast<uint32_t>(buf_.size());
    return hdr()->nlmsg_len;
  }

 private:
  void append(const void* p, size_t n) {
    size_t at = buf_.size();
    buf_.resize(at + NLMSG_ALIGN(n), 0);
    if (n != 0)
      std::memcpy(buf_.data() + at, p, n);
  }
  std::vector<char> buf_;
};

[[noreturn]] void fail(const std::string& what, int err) {
  throw sdk::Error(CC_E_INTERNAL, "guardian: netlink " + what + ": " + std::strerror(-err));
}

uint32_t be(uint32_t host_order) {
  return htonl(host_order);
}

}  // namespace

Netlink::Netlink() {
  fd_ = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd_ < 0)
    throw sdk::Error(CC_E_INTERNAL,
                     std::string("guardian: netlink socket: ") + std::strerror(errno));
}

Netlink::~Netlink() {
  if (fd_ >= 0)
    ::close(fd_);
}

int Netlink::transact(void* msg, uint32_t len, int* index_out) {
  auto* h = static_cast<nlmsghdr*>(msg);
  h->nlmsg_seq = ++seq_;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(fd_, msg, len, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0)
    return -errno;
  alignas(nlmsghdr) char buf[16384];
  for (;;) {
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return -errno;
    }
    // Walks the answers by hand: the NLMSG_* macros use C casts, which -Werror refuses.
    size_t off = 0;
    while (off + sizeof(nlmsghdr) <= static_cast<size_t>(n)) {
      nlmsghdr r{};
      std::memcpy(&r, buf + off, sizeof r);
      if (r.nlmsg_len < sizeof r || off + r.nlmsg_len > static_cast<size_t>(n))
        break;
      const char* payload = buf + off + NLMSG_HDRLEN;
      off += NLMSG_ALIGN(r.nlmsg_len);
      if (r.nlmsg_seq != seq_)
        continue;  // a late answer to an earlier request
      if (r.nlmsg_type == NLMSG_ERROR) {
        nlmsgerr e{};
        std::memcpy(&e, payload, sizeof e);
        return e.error;
      }
      if (r.nlmsg_type == RTM_NEWLINK && index_out != nullptr) {
        ifinfomsg ifi{};
        std::memcpy(&ifi, payload, sizeof ifi);
        *index_out = ifi.ifi_index;
        return 0;
      }
    }
  }
}

std::optional<int> Netlink::link_index(const std::string& name) {
  Msg m(RTM_GETLINK, 0);
  ifinfomsg ifi{};
  m.family(ifi);
  m.attr_str(IFLA_IFNAME, name);
  int index = 0;
  int err = transact(m.hdr(), m.finish(), &index);
  if (err == -ENODEV)
    return std::nullopt;
  if (err < 0)
    fail("get link " + name, err);
  return index;
}

bool Netlink::create_bridge(const std::string& name, uint32_t mtu, const uint8_t mac[6]) {
  Msg m(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK);
  ifinfomsg ifi{};
  ifi.ifi_flags = IFF_UP;
  ifi.ifi_change = IFF_UP;
  m.family(ifi);
  m.attr_str(IFLA_IFNAME, name);
  if (mtu != 0)
    m.attr_u32(IFLA_MTU, mtu);
  m.attr(IFLA_ADDRESS, mac, 6);
  size_t info = m.begin(IFLA_LINKINFO);
  m.attr_str(IFLA_INFO_KIND, "bridge");
  m.end(info);
  int err = transact(m.hdr(), m.finish());
  if (err == -EEXIST)
    return false;
  if (err < 0)
    fail("create bridge " + name, err);
  return true;
}

void Netlink::create_veth(const VethSpec& s) {
  Msg m(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK);
  ifinfomsg ifi{};
  ifi.ifi_flags = IFF_UP;
  ifi.ifi_change = IFF_UP;
  m.family(ifi);
  m.attr_str(IFLA_IFNAME, s.host_name);
  if (s.mtu != 0)
    m.attr_u32(IFLA_MTU, s.mtu);
  if (s.master_index != 0)
    m.attr_u32(IFLA_MASTER, static_cast<uint32_t>(s.master_index));
  size_t info = m.begin(IFLA_LINKINFO);
  m.attr_str(IFLA_INFO_KIND, "veth");
  size_t data = m.begin(IFLA_INFO_DATA);
  size_t peer = m.begin(VETH_INFO_PEER);
  ifinfomsg peer_ifi{};
  m.family(peer_ifi);
  m.attr_str(IFLA_IFNAME, s.peer_name);
  if (s.mtu != 0)
    m.attr_u32(IFLA_MTU, s.mtu);
  if (s.peer_netns_fd >= 0)
    m.attr_u32(IFLA_NET_NS_FD, static_cast<uint32_t>(s.peer_netns_fd));
  m.end(peer);
  m.end(data);
  m.end(info);
  int err = transact(m.hdr(), m.finish());
  if (err < 0)
    fail("create veth " + s.host_name, err);
}

void Netlink::set_up(int index) {
  Msg m(RTM_NEWLINK, NLM_F_ACK);
  ifinfomsg ifi{};
  ifi.ifi_index = index;
  ifi.ifi_flags = IFF_UP;
  ifi.ifi_change = IFF_UP;
  m.family(ifi);
  int err = transact(m.hdr(), m.finish());
  if (err < 0)
    fail("set link up", err);
}

void Netlink::add_address(int index, uint32_t ip, int prefix) {
  Msg m(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK);
  ifaddrmsg ifa{};
  ifa.ifa_family = AF_INET;
  ifa.ifa_prefixlen = static_cast<unsigned char>(prefix);
  ifa.ifa_scope = RT_SCOPE_UNIVERSE;
  ifa.ifa_index = static_cast<unsigned>(index);
  m.family(ifa);
  uint32_t addr = be(ip);
  uint32_t host_bits = prefix >= 32 ? 0 : (0xffffffffu >> prefix);
  uint32_t brd = be(ip | host_bits);
  m.attr(IFA_LOCAL, &addr, 4);
  m.attr(IFA_ADDRESS, &addr, 4);
  m.attr(IFA_BROADCAST, &brd, 4);
  int err = transact(m.hdr(), m.finish());
  if (err < 0 && err != -EEXIST)
    fail("add address", err);
}

void Netlink::set_default_route(int index, uint32_t gateway) {
  Msg m(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE | NLM_F_ACK);
  rtmsg rt{};
  rt.rtm_family = AF_INET;
  rt.rtm_table = RT_TABLE_MAIN;
  rt.rtm_protocol = RTPROT_BOOT;
  rt.rtm_scope = RT_SCOPE_UNIVERSE;
  rt.rtm_type = RTN_UNICAST;
  m.family(rt);
  uint32_t gw = be(gateway);
  m.attr(RTA_GATEWAY, &gw, 4);
  m.attr_u32(RTA_OIF, static_cast<uint32_t>(index));
  int err = transact(m.hdr(), m.finish());
  if (err < 0)
    fail("set default route", err);
}

bool Netlink::delete_link(const std::string& name) {
  Msg m(RTM_DELLINK, NLM_F_ACK);
  ifinfomsg ifi{};
  m.family(ifi);
  m.attr_str(IFLA_IFNAME, name);
  int err = transact(m.hdr(), m.finish());
  if (err == -ENODEV)
    return false;
  if (err < 0)
    fail("delete link " + name, err);
  return true;
}

bool Netlink::delete_link(int index) {
  Msg m(RTM_DELLINK, NLM_F_ACK);
  ifinfomsg ifi{};
  ifi.ifi_index = index;
  m.family(ifi);
  int err = transact(m.hdr(), m.finish());
  if (err == -ENODEV)
    return false;
  if (err < 0)
    fail("delete link " + std::to_string(index), err);
  return true;
}

}  // namespace concourse::guardian
