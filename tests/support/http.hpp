// Minimal blocking HTTP/1.1 client for tests and benchmarks (loopback only).
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace concourse::testing {

struct HttpReply {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-cased names
};

HttpReply http(const std::string& method, uint16_t port, const std::string& path,
               const std::string& body = "",
               const std::map<std::string, std::string>& headers = {});

// A loopback TCP port free at the time of the call (bound to port 0, then closed).
uint16_t free_port();

// Runs script with /bin/sh and returns its stdout; throws on a non-zero exit.
std::string shell(const std::string& script);

}  // namespace concourse::testing
