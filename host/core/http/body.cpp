#include "core/http/body.hpp"

#include <istream>
#include <stdexcept>

namespace concourse::http {

bool drain_request_body(Poco::Net::HTTPServerRequest& req, std::size_t max_bytes) noexcept {
  try {
    std::istream& in = req.stream();
    char buf[64 * 1024];
    std::size_t total = 0;
    while (total < max_bytes) {
      in.read(buf, sizeof buf);
      std::streamsize n = in.gcount();
      if (n <= 0)
        return true;
      total += static_cast<std::size_t>(n);
    }
    return false;
  } catch (...) {
    return false;  // the peer is gone; nothing left to protect
  }
}

std::string read_request_body(Poco::Net::HTTPServerRequest& req, std::size_t max_bytes) {
  std::string body;
  std::istream& in = req.stream();
  char buf[64 * 1024];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    body.append(buf, static_cast<std::size_t>(in.gcount()));
    if (body.size() > max_bytes)
      throw std::length_error("request body is larger than " + std::to_string(max_bytes) +
                              " bytes");
  }
  return body;
}

}  // namespace concourse::http
