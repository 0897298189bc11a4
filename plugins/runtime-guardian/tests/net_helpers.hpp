// Helpers for the networking tests: TCP listeners on the host (or inside a network namespace)
// that greet each client, an "outside" network reached through the host (a namespace on its
// own veth, standing in for the internet without any traffic leaving the machine), and probes.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>

namespace guardian_test {

inline std::string sh(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr)
    return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0)
    out.append(buf, n);
  ::pclose(p);
  return out;
}

inline bool sh_ok(const std::string& cmd) {
  return std::system((cmd + " >/dev/null 2>&1").c_str()) == 0;
}

// Accepts connections on addr:port (port 0 = any) and writes `greeting` to each, then closes it.
// With netns_path, the socket lives in that namespace (the thread serving it does not).
class Greeter {
 public:
  Greeter(const std::string& addr, uint16_t port, std::string greeting,
          const std::string& netns_path = "")
      : greeting_(std::move(greeting)) {
    std::thread t([&] {
      if (!netns_path.empty()) {
        int ns = ::open(netns_path.c_str(), O_RDONLY | O_CLOEXEC);
        if (ns < 0 || ::setns(ns, CLONE_NEWNET) < 0)
          return;
        ::close(ns);
      }
      fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    });
    t.join();
    if (fd_ < 0)
      throw std::runtime_error("greeter: no socket");
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    ::inet_pton(AF_INET, addr.c_str(), &a.sin_addr);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0 || ::listen(fd_, 16) < 0)
      throw std::runtime_error("greeter: cannot listen on " + addr);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] {
      for (;;) {
        int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0)
          return;
        accepted_++;
        (void)!::write(c, greeting_.data(), greeting_.size());
        ::close(c);
      }
    });
  }
  ~Greeter() {
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }
  uint16_t port() const { return port_; }
  int accepted() const { return accepted_; }

 private:
  std::string greeting_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<int> accepted_{0};
  std::thread thread_;
};

// What a TCP client on the host reads from addr:port until the peer closes ("" if it cannot
// connect).
inline std::string tcp_read(const std::string& addr, uint16_t port) {
  int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  ::inet_pton(AF_INET, addr.c_str(), &a.sin_addr);
  timeval tv{5, 0};
  ::setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string out;
  if (::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    char buf[1024];
    for (ssize_t n; (n = ::read(s, buf, sizeof buf)) > 0;)
      out.append(buf, static_cast<size_t>(n));
  }
  ::close(s);
  return out;
}

// A network outside the bridge but inside this machine: namespace `name` with 10.198.<n>.2/30
// on a veth whose host end is 10.198.<n>.1. Containers reach it only through the host's
// forwarding and the firewall, as they would reach the internet.
class OutsideNet {
 public:
  explicit OutsideNet(int n)
      : name_("ccnt-out" + std::to_string(n)),
        veth_("ccnto" + std::to_string(n)),
        host_ip_("10.198." + std::to_string(n) + ".1"),
        ip_("10.198." + std::to_string(n) + ".2") {
    cleanup();
    std::string in = "ip -n " + name_ + " ";
    std::string cmds = "ip netns add " + name_ + " && ip link add " + veth_ +
                       " type veth peer name eth0 netns " + name_ + " && ip addr add " + host_ip_ +
                       "/30 dev " + veth_ + " && ip link set " + veth_ + " up && " + in +
                       "link set lo up && " + in + "addr add " + ip_ + "/30 dev eth0 && " + in +
                       "link set eth0 up";
    std::string out = sh(cmds);
    if (!sh_ok("ip -n " + name_ + " link show eth0"))
      throw std::runtime_error("outside network: " + out);
  }
  ~OutsideNet() { cleanup(); }
  const std::string& ip() const { return ip_; }
  std::string netns_path() const { return "/run/netns/" + name_; }

 private:
  void cleanup() {
    sh_ok("ip link del " + veth_);
    sh_ok("ip netns del " + name_);
  }
  std::string name_, veth_, host_ip_, ip_;
};

// A shell loop for a container: waits (up to 5 s) until something listens on TCP `port`.
inline std::string wait_listening_script(uint16_t port) {
  char hex[8];
  std::snprintf(hex, sizeof hex, "%04X", port);
  // busybox nc listens on IPv6 (dual-stack) when it can: look in tcp6 too.
  return std::string("for i in $(seq 250); do grep -qE ':") + hex +
         " 0+:0000 0A' /proc/net/tcp /proc/net/tcp6 && exit 0; usleep 20000; done; exit 1";
}

}  // namespace guardian_test
