// resolv.conf for containers, as Guardian builds it: the configured DNS servers when there are
// any, else the host's resolv.conf with loopback (127.x) nameservers dropped, since those point
// at a resolver only the host's network namespace can reach.
#pragma once

#include <string>
#include <vector>

namespace concourse::oci {

// host_resolv_conf: the host file's text. dns_servers: --garden-dns-server values (may be empty).
std::string make_resolv_conf(const std::string& host_resolv_conf,
                             const std::vector<std::string>& dns_servers);

// Reads `path` (default /etc/resolv.conf; a missing file reads as empty) and calls the above.
std::string container_resolv_conf(const std::vector<std::string>& dns_servers,
                                  const std::string& path = "/etc/resolv.conf");

}  // namespace concourse::oci
