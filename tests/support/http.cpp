#include "support/http.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <memory>
#include <stdexcept>

namespace concourse::testing {

HttpReply http(const std::string& method, uint16_t port, const std::string& path,
               const std::string& body, const std::map<std::string, std::string>& headers) {
  Poco::Net::HTTPClientSession session("127.0.0.1", port);
  session.setTimeout(Poco::Timespan(30, 0));
  Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  for (const auto& [k, v] : headers)
    req.set(k, v);
  if (!body.empty() || method == "POST" || method == "PUT") {
    req.setContentLength(static_cast<std::streamsize>(body.size()));
  }
  session.sendRequest(req) << body;
  Poco::Net::HTTPResponse resp;
  std::istream& in = session.receiveResponse(resp);
  HttpReply reply;
  reply.status = static_cast<int>(resp.getStatus());
  for (const auto& [k, v] : resp) {
    std::string key = k;
    std::transform(key.begin(), key.end(), key.begin(), ::tolower);
    reply.headers[key] = v;
  }
  Poco::StreamCopier::copyToString(in, reply.body);
  return reply;
}

std::string shell(const std::string& script) {
  std::unique_ptr<FILE, int (*)(FILE*)> p(::popen(script.c_str(), "r"), ::pclose);
  if (!p)
    throw std::runtime_error("popen failed: " + script);
  std::string out;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p.get())) > 0)
    out.append(buf.data(), n);
  int rc = ::pclose(p.release());
  if (rc != 0)
    throw std::runtime_error("command failed (" + std::to_string(rc) + "): " + script);
  return out;
}

uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), len) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    if (fd >= 0)
      ::close(fd);
    throw std::runtime_error("free_port failed");
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

}  // namespace concourse::testing
