// Temp dirs and loopback HTTP for the GC tests, kept here so these tests do not pull in the
// shared harness (which links the ATC's database layer).
#pragma once

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <stdlib.h>

#include <filesystem>
#include <stdexcept>
#include <string>

namespace concourse::worker::gc::testing {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/gc-test-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr)
      throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct Reply {
  int status = 0;
  std::string body;
};

inline Reply http(const std::string& method, uint16_t port, const std::string& path,
                  const std::string& body = "") {
  Poco::Net::HTTPClientSession session("127.0.0.1", port);
  session.setTimeout(Poco::Timespan(10, 0));
  Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  req.setContentLength(static_cast<std::streamsize>(body.size()));
  if (!body.empty())
    req.setContentType("application/json");
  session.sendRequest(req) << body;
  Poco::Net::HTTPResponse resp;
  std::istream& in = session.receiveResponse(resp);
  Reply r;
  r.status = static_cast<int>(resp.getStatus());
  Poco::StreamCopier::copyToString(in, r.body);
  return r;
}

}  // namespace concourse::worker::gc::testing
