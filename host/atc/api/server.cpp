#include "atc/api/server.hpp"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/String.h>
#include <Poco/URI.h>

#include <unistd.h>

#include <chrono>
#include <stdexcept>

#include "atc/api/hijack.hpp"
#include "atc/api/worker_artifacts.hpp"
#include "core/error.hpp"
#include "core/http/body.hpp"

namespace concourse::atc::api {
namespace {

using nlohmann::json;

// Worker payloads and report bodies are small; a megabyte leaves room for thousands of handles.
constexpr size_t kMaxBody = 8 << 20;
// How much of a refused body we still read so the client sees our answer instead of a reset.
constexpr size_t kMaxDrain = 64 << 20;

Response error_response(int status, const json& body) {
  return Response::json(status, body);
}

Response call(const Handler& h, Context& ctx, Request& req) {
  try {
    return h(req);
  } catch (const HttpError& e) {
    return error_response(e.status, e.body);
  } catch (const core::Error& e) {
    int status = core::http_status_for(e.code());
    if (status >= 500)
      ctx.log.error("request-failed", {{"path", req.path}, {"error", e.what()}});
    return error_response(status, json{{"error", e.what()}});
  } catch (const std::exception& e) {
    ctx.log.error("request-failed", {{"path", req.path}, {"error", e.what()}});
    return error_response(500, json{{"error", e.what()}});
  }
}

class Handler final : public Poco::Net::HTTPRequestHandler {
 public:
  Handler(const Router& router, Context& ctx) : router_(router), ctx_(ctx) {}

  void handleRequest(Poco::Net::HTTPServerRequest& in,
                     Poco::Net::HTTPServerResponse& out) override {
    auto start = std::chrono::steady_clock::now();
    // The hijack WebSocket takes the connection over; it is no request/response exchange.
    if (serve_hijack(ctx_, in, out))
      return;
    Request req;
    Response resp = read(in, req);
    if (resp.status == 0)
      resp = dispatch(router_, ctx_, req);
    // A streaming handler that refused early left the body unread: read it so the client,
    // still sending, sees the answer instead of a reset.
    if (req.body_stream != nullptr)
      http::drain_request_body(in, kMaxDrain);
    write(out, resp);
    if (ctx_.log.enabled(concourse::log::Level::Debug)) {
      auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                    std::chrono::steady_clock::now() - start)
                    .count();
      ctx_.log.debug("request", {{"method", req.method},
                                 {"path", req.path},
                                 {"status", std::to_string(resp.status)},
                                 {"duration_us", std::to_string(us)},
                                 {"remote", in.clientAddress().toString()}});
    }
  }

 private:
  // Fills req from the wire; a non-zero status in the result means "answer this instead".
  Response read(Poco::Net::HTTPServerRequest& in, Request& req) const {
    req.method = in.getMethod();
    req.authorization = in.get("Authorization", "");
    req.content_type = in.getContentType();
    for (const auto& [k, v] : in)
      req.headers[Poco::toLower(k)] = v;
    try {
      Poco::URI uri(in.getURI());
      req.path = uri.getPath();
      for (auto& [k, v] : uri.getQueryParameters())
        req.query[k] = v;
    } catch (const Poco::Exception& e) {
      http::drain_request_body(in, kMaxDrain);
      return error_response(400, json{{"error", "malformed request URI: " + e.displayText()}});
    }
    if (router_.match(req.method, req.path).streams_body) {
      req.body_stream = &in.stream();
      return Response::empty(0);
    }
    try {
      req.body = http::read_request_body(in, kMaxBody);
    } catch (const std::length_error& e) {
      http::drain_request_body(in, kMaxDrain);
      return error_response(413, json{{"error", e.what()}});
    } catch (const std::exception& e) {
      return error_response(400, json{{"error", std::string("reading body: ") + e.what()}});
    }
    return Response::empty(0);
  }

  static void write(Poco::Net::HTTPServerResponse& out, const Response& resp) {
    out.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(resp.status));
    if (!resp.content_type.empty())
      out.setContentType(resp.content_type);
    for (const auto& [k, v] : resp.headers)
      out.set(k, v);
    if (resp.stream) {
      out.setChunkedTransferEncoding(true);
      out.set("Cache-Control", "no-cache");
      std::ostream& os = out.send();
      try {
        resp.stream(os);
      } catch (const std::exception&) {
        // The client hung up mid-stream; there is nobody left to answer.
      }
      return;
    }
    out.setContentLength(static_cast<std::streamsize>(resp.body.size()));
    out.send() << resp.body;
  }

  const Router& router_;
  Context& ctx_;
};

class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Factory(const Router& router, Context& ctx) : router_(router), ctx_(ctx) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new Handler(router_, ctx_);
  }

 private:
  const Router& router_;
  Context& ctx_;
};

// Stable across restarts of the same node, so its lost builds are found again.
std::string node_name(const Options& o) {
  if (!o.node_name.empty())
    return o.node_name;
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0)
    host[0] = '\0';
  return std::string(host) + ":" + std::to_string(o.bind_port);
}

}  // namespace

Router make_router(Context& ctx) {
  Router r;
  add_auth_routes(r, ctx);
  add_worker_routes(r, ctx);
  add_team_routes(r, ctx);
  add_artifact_routes(r, ctx);
  add_pipeline_routes(r, ctx);
  add_job_routes(r, ctx);
  add_build_routes(r, ctx);
  add_event_routes(r, ctx);
  add_resource_routes(r, ctx);
  add_worker_artifact_routes(r, ctx);
  return r;
}

Response dispatch(const Router& router, Context& ctx, Request& req) {
  auto m = router.match(req.method, req.path);
  if (!m.handler) {
    if (m.path_known)
      return error_response(405, json{{"error", "method " + req.method + " not allowed"}});
    return error_response(404, json{{"error", "no route for " + req.method + " " + req.path}});
  }
  req.params = std::move(m.params);
  if (!req.authorization.empty() && req.path != "/sky/issuer/token") {
    try {
      req.claims = ctx.auth->verify(req.authorization);
    } catch (const std::exception& e) {
      ctx.log.error("token-check-failed", {{"error", e.what()}});
      return error_response(503, json{{"error", "cannot check token: database unavailable"}});
    }
  }
  return call(*m.handler, ctx, req);
}

Server::Server(Options options, db::Database& db, auth::Authenticator& auth,
               concourse::log::Logger log, BuildEngine engine)
    : options_(std::move(options)),
      builds_(std::make_unique<BuildService>(db, std::move(engine), node_name(options_),
                                             options_.external_url, log)),
      ctx_{&db, &auth, &options_, std::move(log), builds_.get()} {
  router_ = make_router(ctx_);
}

Server::~Server() {
  stop();
}

void Server::start() {
  try {
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress(options_.bind_ip, options_.bind_port),
                                   256);
    port_ = socket.address().port();
    // Nodes on kernel-picked ports would all be "host:0" and take each other's builds for lost.
    if (options_.node_name.empty() && options_.bind_port == 0) {
      Options named = options_;
      named.bind_port = port_;
      builds_->set_node_name(node_name(named));
    }
    builds_->recover_lost_builds();
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(options_.max_threads);
    params->setMaxQueued(1024);
    params->setKeepAlive(true);
    params->setServerName("concourse");
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(router_, ctx_), socket, params);
    server_->start();
  } catch (const Poco::Exception& e) {
    throw core::Error(CC_E_UNAVAILABLE, "listen on " + options_.bind_ip + ":" +
                                            std::to_string(options_.bind_port) +
                                            " for the api: " + e.displayText());
  }
  ctx_.log.info("api-listening", {{"address", options_.bind_ip + ":" + std::to_string(port_)}});
}

void Server::stop() {
  // Running builds end first so event streams see their final status before connections close.
  if (builds_)
    builds_->shutdown();
  if (server_) {
    server_->stopAll(true);
    server_.reset();
  }
}

}  // namespace concourse::atc::api
