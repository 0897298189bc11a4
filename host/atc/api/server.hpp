// The ATC's HTTP API (:8080) on Poco: Concourse's /api/v1 and /sky routes with JSON errors.
#pragma once

#include <cstdint>
#include <memory>

#include "atc/api/build_service.hpp"
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
  // engine runs the builds the API creates; without one, triggers answer 503.
  Server(Options options, db::Database& db, auth::Authenticator& auth, concourse::log::Logger log,
         BuildEngine engine = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Errors this node's builds lost by an earlier run, then serves. Throws
  // core::Error(CC_E_UNAVAILABLE) when it cannot bind.
  void start();
  void stop();  // idempotent; ends running builds as errored, closes open connections
  uint16_t port() const { return port_; }
  BuildService& builds() { return *builds_; }

 private:
  Options options_;
  std::unique_ptr<BuildService> builds_;
  Context ctx_;
  Router router_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  uint16_t port_ = 0;
};

}  // namespace concourse::atc::api
