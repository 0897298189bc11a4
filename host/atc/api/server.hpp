// The ATC's HTTP API (:8080) on Poco: Concourse's /api/v1 and /sky routes with JSON errors.
#pragma once

#include <cstdint>
#include <memory>

#include "atc/api/handlers.hpp"
#include "atc/api/router.hpp"

namespace Poco::Net {
class HTTPServer;
}

namespace concourse::atc::api {

// Every route of the API bound to ctx (which must outlive the router).
Router make_router(Context& ctx);

// Routes one request: token check, dispatch, errors as JSON. Never throws.
Response dispatch(const Router& router, Context& ctx, Request& req);

class Server {
 public:
  Server(Options options, db::Database& db, auth::Authenticator& auth, concourse::log::Logger log);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  void start();  // throws core::Error(CC_E_UNAVAILABLE) when it cannot bind
  void stop();   // idempotent; closes open connections
  uint16_t port() const { return port_; }

 private:
  Options options_;
  Context ctx_;
  Router router_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  uint16_t port_ = 0;
};

}  // namespace concourse::atc::api
