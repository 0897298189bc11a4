// Persistent network namespaces, kept alive by a bind mount on a file as `ip netns` does
// (under /run/netns, so `ip netns exec` reaches them too), and netlink sockets inside them.
#pragma once

#include <string>

namespace concourse::guardian {

// True when `path` is a bind-mounted network namespace.
bool is_netns(const std::string& path);

// Creates a new network namespace bound at `path` (replacing a stale one) and returns an fd on
// it (O_CLOEXEC, the caller closes it). Throws sdk::Error.
int create_netns(const std::string& path);

// An fd on the namespace bound at `path`, or -1 when there is none.
int open_netns(const std::string& path);

// Unmounts and removes `path`; the namespace goes once nothing else holds it. Idempotent.
void remove_netns(const std::string& path);

// A NETLINK_ROUTE socket opened inside the namespace `netns_fd` (sockets keep the namespace
// they were created in, so the caller's thread never switches). Throws sdk::Error.
int netlink_socket_in(int netns_fd);

}  // namespace concourse::guardian
