// An in-process stand-in for the ATC endpoints fly talks to: a password-grant token endpoint
// and canned API answers behind bearer-token checks, recording every request.
#pragma once

#include <Poco/Net/HTTPServer.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace concourse::fly::testing {

struct Recorded {
  std::string method;
  std::string uri;
  std::string authorization;
  std::string content_type;
  std::string body;
};

class FakeAtc {
 public:
  FakeAtc();
  ~FakeAtc();
  FakeAtc(const FakeAtc&) = delete;
  FakeAtc& operator=(const FakeAtc&) = delete;

  std::string url() const;
  // Canned answer for "METHOD /path" (path without query). Unset routes answer 404.
  void route(const std::string& method, const std::string& path, int status, std::string body);
  std::vector<Recorded> requests() const;

  // What the token endpoint accepts and hands out; API routes require "Bearer <token>".
  std::string username = "admin";
  std::string password = "s3cret";
  std::string token = "opaque-token";

 private:
  class Handler;
  class Factory;
  friend class Handler;
  void handle(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp);
  std::pair<int, std::string> answer(const Recorded& r) const;

  mutable std::mutex mu_;
  std::map<std::string, std::pair<int, std::string>> routes_;
  std::vector<Recorded> requests_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
};

// A JWT-shaped token (unsigned) with the given claims, as Skymarshal issues them.
std::string make_jwt(const std::string& claims_json);

}  // namespace concourse::fly::testing
