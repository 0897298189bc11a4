// The TSA's HTTP client for the ATC API: a client-credentials token from the token URL
// (refreshed on expiry and on 401), `Authorization: Bearer`, failover across --tsa-atc-url.
#pragma once

#include <chrono>
#include <mutex>
#include <string>

#include "tsa/server.hpp"

namespace concourse::tsa {

struct HttpResult {
  int status = 0;
  std::string body;
};

// One plain HTTP request (no auth); throws core::Error(CC_E_UNAVAILABLE) when the host cannot
// be reached. url is absolute ("http://host:port/path?query").
HttpResult http_request(const std::string& method, const std::string& url, const std::string& body,
                        const std::string& content_type, std::chrono::nanoseconds timeout,
                        const std::string& authorization = "");

// Go's time.Duration.String() ("1m0s", "400ms"): the form the ATC's ?ttl= parser expects.
std::string go_duration(std::chrono::nanoseconds d);

// Percent-encodes a path segment or query value.
std::string url_escape(const std::string& s);

class AtcClient {
 public:
  explicit AtcClient(const Options& options);

  // path_and_query starts with '/'. Thread-safe. Throws core::Error(CC_E_UNAVAILABLE) when no
  // ATC or token endpoint answers.
  HttpResult call(const std::string& method, const std::string& path_and_query,
                  const std::string& body = "", const std::string& content_type = "");

 private:
  std::string token(bool force_refresh);

  const Options& options_;
  std::mutex mu_;
  std::string token_;
  std::chrono::steady_clock::time_point token_expiry_{};
};

}  // namespace concourse::tsa
