#include "fake_atc.hpp"

#include <Poco/Base64Encoder.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/URI.h>

#include <sstream>

namespace concourse::tsa::testing {

using Json = nlohmann::json;

struct FakeAtc::State {
  mutable std::mutex mu;
  mutable std::condition_variable cv;
  std::vector<Call> calls;
  std::map<std::string, Json> workers;
  std::map<std::string, std::string> destroying{{"containers", "[]"}, {"volumes", "[]"}};
  std::string token;
  int tokens_issued = 0;
  std::unique_ptr<Poco::Net::HTTPServer> server;

  // Returns status and body; caller holds mu.
  std::pair<int, std::string> handle(const Call& c);
  std::pair<int, std::string> token_endpoint(const Call& c);
  std::pair<int, std::string> worker_route(const Call& c, const std::string& rest);
};

namespace {

std::string expected_basic() {
  std::ostringstream out;
  Poco::Base64Encoder enc(out);
  enc.rdbuf()->setLineLength(0);
  enc << FakeAtc::kClientId << ':' << FakeAtc::kClientSecret;
  enc.close();
  return "Basic " + out.str();
}

std::string query_value(const std::string& query, const std::string& key) {
  std::istringstream in(query);
  for (std::string kv; std::getline(in, kv, '&');) {
    if (kv.rfind(key + "=", 0) == 0) {
      std::string v;
      Poco::URI::decode(kv.substr(key.size() + 1), v);
      return v;
    }
  }
  return "";
}

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(std::shared_ptr<FakeAtc::State> s) : s_(std::move(s)) {}
  void handleRequest(Poco::Net::HTTPServerRequest& req,
                     Poco::Net::HTTPServerResponse& resp) override {
    Call c;
    Poco::URI uri(req.getURI());
    c.method = req.getMethod();
    c.path = uri.getPath();
    c.query = uri.getRawQuery();
    c.body.assign(std::istreambuf_iterator<char>(req.stream()), {});
    c.authorization = req.get("Authorization", "");
    c.at = std::chrono::steady_clock::now();
    std::pair<int, std::string> out;
    {
      std::lock_guard<std::mutex> lock(s_->mu);
      out = s_->handle(c);
      s_->calls.push_back(c);
    }
    s_->cv.notify_all();
    resp.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(out.first));
    resp.setContentType("application/json");
    resp.setContentLength(static_cast<std::streamsize>(out.second.size()));
    resp.send() << out.second;
  }

 private:
  std::shared_ptr<FakeAtc::State> s_;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(std::shared_ptr<FakeAtc::State> s) : s_(std::move(s)) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new Handler(s_);
  }

 private:
  std::shared_ptr<FakeAtc::State> s_;
};

}  // namespace

std::pair<int, std::string> FakeAtc::State::token_endpoint(const Call& c) {
  if (c.method != "POST" || c.authorization != expected_basic() ||
      c.body != "grant_type=client_credentials") {
    return {401, R"({"error":"invalid_client"})"};
  }
  token = "token-" + std::to_string(++tokens_issued);
  return {200,
          Json{{"access_token", token}, {"token_type", "bearer"}, {"expires_in", 3600}}.dump()};
}

std::pair<int, std::string> FakeAtc::State::worker_route(const Call& c, const std::string& rest) {
  auto slash = rest.find('/');
  std::string name = rest.substr(0, slash);
  std::string action = slash == std::string::npos ? "" : rest.substr(slash + 1);
  auto it = workers.find(name);
  if (it == workers.end())
    return {404, ""};
  if (c.method == "DELETE" && action.empty()) {
    workers.erase(it);
    return {200, ""};
  }
  if (c.method != "PUT")
    return {405, ""};
  if (action == "heartbeat") {
    auto hb = Json::parse(c.body, nullptr, false);
    if (hb.is_object()) {
      it->second["active_containers"] = hb.value("active_containers", 0);
      it->second["active_volumes"] = hb.value("active_volumes", 0);
    }
    return {200, it->second.dump()};
  }
  if (action == "land") {
    if (it->second["state"] != "landed")
      it->second["state"] = "landing";
    return {200, ""};
  }
  if (action == "retire") {
    it->second["state"] = "retiring";
    return {200, ""};
  }
  return {404, ""};
}

std::pair<int, std::string> FakeAtc::State::handle(const Call& c) {
  if (c.path == "/sky/issuer/token")
    return token_endpoint(c);
  if (token.empty() || c.authorization != "Bearer " + token)
    return {401, ""};
  const std::string workers_prefix = "/api/v1/workers/";
  if (c.method == "POST" && c.path == "/api/v1/workers") {
    auto w = Json::parse(c.body, nullptr, false);
    if (!w.is_object() || w.value("addr", std::string()).empty())
      return {400, "missing garden address"};
    if (w.value("state", std::string()).empty())
      w["state"] = "running";
    workers[w.value("name", std::string())] = w;
    return {200, ""};
  }
  if (c.path.rfind(workers_prefix, 0) == 0)
    return worker_route(c, c.path.substr(workers_prefix.size()));
  for (const std::string kind : {"containers", "volumes"}) {
    if (c.method == "GET" && c.path == "/api/v1/" + kind + "/destroying")
      return query_value(c.query, "worker_name").empty() ? std::pair{400, std::string()}
                                                         : std::pair{200, destroying[kind]};
    if (c.method == "PUT" && c.path == "/api/v1/" + kind + "/report") {
      auto body = Json::parse(c.body, nullptr, false);
      return body.is_array() && !query_value(c.query, "worker_name").empty()
                 ? std::pair{204, std::string()}
                 : std::pair{400, std::string()};
    }
  }
  return {404, ""};
}

FakeAtc::FakeAtc() : state_(std::make_shared<State>()) {
  auto params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(16);
  params->setKeepAlive(false);
  Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
  state_->server = std::make_unique<Poco::Net::HTTPServer>(new Factory(state_), socket, params);
  state_->server->start();
}

FakeAtc::~FakeAtc() {
  state_->server->stopAll(true);
  // The server's factory holds the state: dropping the server breaks that cycle.
  state_->server.reset();
}

uint16_t FakeAtc::port() const {
  return state_->server->port();
}

std::string FakeAtc::url() const {
  return "http://127.0.0.1:" + std::to_string(port());
}

std::vector<Call> FakeAtc::calls() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->calls;
}

std::vector<Call> FakeAtc::calls(const std::string& method, const std::string& path) const {
  std::vector<Call> out;
  for (auto& c : calls()) {
    if (c.method == method && c.path == path)
      out.push_back(c);
  }
  return out;
}

int FakeAtc::token_requests() const {
  return static_cast<int>(calls("POST", "/sky/issuer/token").size());
}

bool FakeAtc::wait_for(const std::function<bool()>& pred, std::chrono::milliseconds timeout) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    size_t seen = 0;
    {
      std::lock_guard<std::mutex> lock(state_->mu);
      seen = state_->calls.size();
    }
    // pred() takes the lock itself; a call landing meanwhile changes the count, so the wait
    // below cannot miss it.
    if (pred())
      return true;
    std::unique_lock<std::mutex> lock(state_->mu);
    if (!state_->cv.wait_until(lock, deadline, [&] { return state_->calls.size() != seen; })) {
      lock.unlock();
      return pred();
    }
  }
}

Json FakeAtc::worker(const std::string& name) const {
  std::lock_guard<std::mutex> lock(state_->mu);
  auto it = state_->workers.find(name);
  return it == state_->workers.end() ? Json() : it->second;
}

void FakeAtc::set_state(const std::string& name, const std::string& state) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->workers[name]["state"] = state;
}

void FakeAtc::remove_worker(const std::string& name) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->workers.erase(name);
}

void FakeAtc::revoke_token() {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->token = "revoked";
}

void FakeAtc::set_destroying(const std::string& kind, const std::string& json_array) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->destroying[kind] = json_array;
}

}  // namespace concourse::tsa::testing
