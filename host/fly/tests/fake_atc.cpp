#include "fake_atc.hpp"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

namespace concourse::fly::testing {

class FakeAtc::Handler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(FakeAtc& atc) : atc_(atc) {}
  void handleRequest(Poco::Net::HTTPServerRequest& req,
                     Poco::Net::HTTPServerResponse& resp) override {
    atc_.handle(req, resp);
  }

 private:
  FakeAtc& atc_;
};

class FakeAtc::Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(FakeAtc& atc) : atc_(atc) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new Handler(atc_);
  }

 private:
  FakeAtc& atc_;
};

FakeAtc::FakeAtc() {
  Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
  auto* params = new Poco::Net::HTTPServerParams;
  params->setKeepAlive(false);
  server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), socket, params);
  server_->start();
}

FakeAtc::~FakeAtc() {
  server_->stopAll(true);
}

std::string FakeAtc::url() const {
  return "http://127.0.0.1:" + std::to_string(server_->port());
}

void FakeAtc::route(const std::string& method, const std::string& path, int status,
                    std::string body) {
  std::lock_guard lock(mu_);
  routes_[method + " " + path] = {status, std::move(body)};
}

std::vector<Recorded> FakeAtc::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

std::pair<int, std::string> FakeAtc::answer(const Recorded& r) const {
  std::string path = Poco::URI(r.uri).getPath();
  if (r.method == "POST" && path == "/sky/issuer/token") {
    Poco::URI parsed("/?" + r.body);
    std::map<std::string, std::string> fields;
    for (const auto& [k, v] : parsed.getQueryParameters())
      fields[k] = v;
    if (r.authorization != "Basic Zmx5OlpteDU=" ||
        r.content_type != "application/x-www-form-urlencoded")
      return {401, R"({"error":"invalid_client"})"};
    if (fields["grant_type"] != "password" ||
        fields["scope"] != "openid profile email federated:id groups" ||
        fields["username"] != username || fields["password"] != password)
      return {401,
              R"({"error":"invalid_grant","error_description":"invalid username and password"})"};
    return {200, R"({"access_token":")" + token + R"(","token_type":"bearer","expires_in":86399})"};
  }
  if (r.authorization != "Bearer " + token)
    return {401, "not authorized"};
  std::lock_guard lock(mu_);
  auto it = routes_.find(r.method + " " + path);
  if (it == routes_.end())
    return {404, R"({"errors":["not found"]})"};
  return it->second;
}

void FakeAtc::handle(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) {
  Recorded r;
  r.method = req.getMethod();
  r.uri = req.getURI();
  r.authorization = req.get("Authorization", "");
  r.content_type = req.getContentType();
  Poco::StreamCopier::copyToString(req.stream(), r.body);
  {
    std::lock_guard lock(mu_);
    requests_.push_back(r);
  }
  auto [status, body] = answer(r);
  resp.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
  resp.setContentType("application/json");
  resp.setContentLength(static_cast<std::streamsize>(body.size()));
  resp.send() << body;
}

std::string make_jwt(const std::string& claims_json) {
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  auto encode = [](const std::string& in) {
    std::string out;
    uint32_t acc = 0;
    int bits = 0;
    for (unsigned char c : in) {
      acc = (acc << 8) | c;
      bits += 8;
      while (bits >= 6) {
        bits -= 6;
        out += alphabet[(acc >> bits) & 63];
      }
    }
    if (bits > 0)
      out += alphabet[(acc << (6 - bits)) & 63];
    return out;
  };
  return encode(R"({"alg":"RS256","typ":"JWT"})") + "." + encode(claims_json) + ".c2ln";
}

}  // namespace concourse::fly::testing
