#include "ip_pool.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <concourse/sdk.hpp>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace concourse::guardian {
namespace fs = std::filesystem;

std::optional<uint32_t> parse_ipv4(const std::string& text) {
  in_addr a{};
  if (::inet_pton(AF_INET, text.c_str(), &a) != 1)
    return std::nullopt;
  return ntohl(a.s_addr);
}

std::string ipv4_string(uint32_t ip) {
  in_addr a{};
  a.s_addr = htonl(ip);
  char buf[INET_ADDRSTRLEN];
  ::inet_ntop(AF_INET, &a, buf, sizeof buf);
  return buf;
}

std::string ipv4_hex(uint32_t ip) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", ip);
  return buf;
}

std::string Cidr::str() const {
  return ipv4_string(network) + "/" + std::to_string(prefix);
}

Cidr parse_cidr(const std::string& text) {
  auto bad = [&](const std::string& why) {
    return sdk::Error(CC_E_INVALID, "guardian: network pool '" + text + "': " + why);
  };
  auto slash = text.find('/');
  if (slash == std::string::npos)
    throw bad("expected a.b.c.d/prefix");
  auto ip = parse_ipv4(text.substr(0, slash));
  std::string p = text.substr(slash + 1);
  if (!ip || p.empty() || p.size() > 2 || p.find_first_not_of("0123456789") != std::string::npos)
    throw bad("expected a.b.c.d/prefix");
  Cidr c;
  c.prefix = std::stoi(p);
  if (c.prefix < 8 || c.prefix > 30)
    throw bad("the prefix must be between 8 and 30");
  c.network = *ip;
  if ((c.network & c.mask()) != c.network)
    throw bad("not a network address (did you mean " + Cidr{c.network & c.mask(), c.prefix}.str() +
              "?)");
  return c;
}

Leases::Leases(std::string dir) : dir_(std::move(dir)) {
  fs::create_directories(fs::path(dir_) / "ips");
  fs::create_directories(fs::path(dir_) / "ports");
}

bool Leases::create(const std::string& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    if (errno == EEXIST)
      return false;
    throw sdk::Error(CC_E_INTERNAL, "guardian: lease " + path + ": " + std::strerror(errno));
  }
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());
    throw sdk::Error(CC_E_INTERNAL, "guardian: cannot write lease " + path);
  }
  return true;
}

std::optional<uint32_t> Leases::take_ip(const Cidr& pool, const std::string& owner,
                                        uint32_t& cursor) {
  uint32_t first = pool.first_container(), last = pool.last_container();
  uint32_t n = last - first + 1;
  if (cursor < first || cursor > last)
    cursor = first;
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t ip = first + (cursor - first + i) % n;
    if (create((fs::path(dir_) / "ips" / ipv4_string(ip)).string(), owner + "\n")) {
      cursor = ip == last ? first : ip + 1;
      return ip;
    }
  }
  return std::nullopt;
}

bool Leases::claim_ip(uint32_t ip, const std::string& owner) {
  std::string path = (fs::path(dir_) / "ips" / ipv4_string(ip)).string();
  if (create(path, owner + "\n"))
    return true;
  std::ifstream in(path);
  std::string holder;
  std::getline(in, holder);
  return holder == owner;
}

void Leases::release(const std::string& path, const std::string& owner) {
  std::ifstream in(path);
  std::string holder;
  std::getline(in, holder);
  if (holder == owner)
    ::unlink(path.c_str());
}

void Leases::release_ip(uint32_t ip, const std::string& owner) {
  release((fs::path(dir_) / "ips" / ipv4_string(ip)).string(), owner);
}

bool Leases::take_port(uint32_t port, const std::string& owner, const std::string& detail) {
  return create((fs::path(dir_) / "ports" / std::to_string(port)).string(),
                owner + "\n" + detail + "\n");
}

namespace {

// Whether a TCP listener could bind the port on every address (so nothing on the host uses it).
bool port_free_on_host(uint32_t port) {
  int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0)
    return true;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(s);
  return ok;
}

}  // namespace

std::optional<uint32_t> Leases::take_any_port(uint32_t first, uint32_t count,
                                              const std::string& owner, const std::string& detail) {
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t port = first + (port_cursor_ + i) % count;
    if (port > 65535 || !port_free_on_host(port))
      continue;
    if (take_port(port, owner, detail)) {
      port_cursor_ = (port - first + 1) % count;
      return port;
    }
  }
  return std::nullopt;
}

void Leases::release_port(uint32_t port, const std::string& owner) {
  release((fs::path(dir_) / "ports" / std::to_string(port)).string(), owner);
}

std::vector<Lease> Leases::list() const {
  std::vector<Lease> out;
  for (const char* kind : {"ips", "ports"}) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(fs::path(dir_) / kind, ec)) {
      Lease l{kind, e.path().filename().string(), "", ""};
      std::ifstream in(e.path());
      std::getline(in, l.owner);
      std::getline(in, l.detail);
      out.push_back(std::move(l));
    }
  }
  return out;
}

bool Leases::stale(const Lease& l) {
  return l.owner.empty() || !fs::is_directory(l.owner);
}

bool Leases::empty() const {
  std::error_code ec;
  return fs::is_empty(fs::path(dir_) / "ips", ec) && fs::is_empty(fs::path(dir_) / "ports", ec);
}

}  // namespace concourse::guardian
