#include "worker/garden/server.hpp"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/UUIDGenerator.h>

#include <chrono>
#include <istream>

#include "core/error.hpp"
#include "core/http/body.hpp"
#include "worker/garden/server_impl.hpp"

namespace concourse::worker::garden {
namespace {

constexpr size_t kMaxJsonBody = size_t{16} << 20;
constexpr int kMaxPoolThreads = 256;

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(Server::Impl& impl) : impl_(impl) {}
  void handleRequest(Poco::Net::HTTPServerRequest& req,
                     Poco::Net::HTTPServerResponse& resp) override {
    impl_.handle(req, resp);
  }

 private:
  Server::Impl& impl_;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(Server::Impl& impl) : impl_(impl) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new Handler(impl_);
  }

 private:
  Server::Impl& impl_;
};

}  // namespace

std::string new_uuid() {
  return Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
}

Server::Impl::Impl(ServerOptions options, RuntimeBinding runtime, concourse::log::Logger log)
    : opts_(std::move(options)),
      log_(std::move(log)),
      runtime_(std::move(runtime)),
      bomberman_([this](const std::string& h, std::chrono::nanoseconds g) { reap(h, g); }),
      table_(runtime_, bomberman_, log_) {}

Server::Impl::~Impl() {
  stop();
}

void Server::Impl::start() {
  std::lock_guard lock(lifecycle_mu_);
  if (started_)
    return;
  if (stopped_)
    throw core::Error(CC_E_INVALID, "garden server cannot be restarted once stopped");
  std::string address = opts_.bind_ip + ":" + std::to_string(opts_.bind_port);
  Poco::Net::ServerSocket socket;
  try {
    // SO_REUSEADDR for quick restarts, but never SO_REUSEPORT: a second worker on the same
    // port must fail, not share it.
    socket.bind(Poco::Net::SocketAddress(opts_.bind_ip, opts_.bind_port), true, false);
    socket.listen(128);
  } catch (const Poco::Exception& e) {
    throw core::Error(CC_E_UNAVAILABLE, "listen on " + address + ": " + e.displayText());
  }
  port_ = socket.address().port();
  table_.start();
  bomberman_.start();
  rearm_existing();

  pool_ = std::make_unique<Poco::ThreadPool>("garden", 2, kMaxPoolThreads);
  Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(kMaxPoolThreads);
  params->setMaxQueued(1024);
  params->setKeepAlive(true);
  params->setTimeout(Poco::Timespan(60, 0));
  http_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), *pool_, socket, params);
  http_->start();
  started_ = true;
  log_.info("garden-listening", {{"address", opts_.bind_ip + ":" + std::to_string(port_)},
                                 {"runtime", runtime_.name()}});
}

void Server::Impl::stop() {
  std::lock_guard lock(lifecycle_mu_);
  if (!started_)
    return;
  started_ = false;
  stopped_ = true;
  http_->stopAll(true);
  // Unblock everything a request or a stream may be waiting on, then wait for all of it.
  gate_.close();
  table_.interrupt();
  connections_.shutdown_all();
  pool_->joinAll();
  connections_.join_all();
  bomberman_.stop();
  table_.stop();
  http_.reset();
  pool_.reset();
  log_.info("garden-stopped");
}

void Server::Impl::on_process_exit(uint64_t token, int32_t exit_status, std::string_view error) {
  table_.on_exit(token, exit_status, error);
}

size_t Server::Impl::container_count() {
  auto ctx = call_context();
  return runtime_.list(ctx.get(), {}).size();
}

core::plugin::CallContext Server::Impl::call_context() const {
  return core::plugin::CallContext(opts_.request_timeout);
}

HandleGate::Use Server::Impl::enter(const std::string& handle) {
  return gate_.enter(handle, opts_.request_timeout);
}

void Server::Impl::handle(Poco::Net::HTTPServerRequest& http, Poco::Net::HTTPServerResponse& resp) {
  auto t0 = std::chrono::steady_clock::now();
  Request r{http, resp, {}, {}};
  const std::string& uri = http.getURI();
  size_t q = uri.find('?');
  std::string path = uri.substr(0, q);
  try {
    try {
      r.route = match_route(http.getMethod(), path);
      r.query = Query::parse(q == std::string::npos ? std::string_view() : uri.substr(q + 1));
    } catch (const std::invalid_argument& e) {
      throw bad_request(std::string("invalid request URI: ") + e.what());
    }
    if (r.route.result == MatchResult::NotFound) {
      throw GardenError(404, "", "no route for " + http.getMethod() + " " + path);
    }
    if (r.route.result == MatchResult::MethodNotAllowed) {
      throw GardenError(405, "", "method " + http.getMethod() + " is not allowed on " + path);
    }
    // Pauses the handle's grace countdown for the request and restarts it afterwards.
    Bomberman::Hold activity;
    if (!r.handle().empty())
      activity = bomberman_.hold(r.handle());
    dispatch(r);
  } catch (const GardenError& e) {
    reply_error(r, e);
  } catch (const std::exception& e) {
    reply_error(r, internal_error(e.what()));
  }
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  log_.debug("http-request", {{"method", http.getMethod()},
                              {"path", path},
                              {"status", std::to_string(r.status)},
                              {"duration_ms", std::to_string(ms)}});
}

void Server::Impl::dispatch(Request& r) {
  switch (r.route.id) {
    case RouteId::Ping:
      return ping(r);
    case RouteId::Capacity:
      return capacity(r);
    case RouteId::List:
      return list(r);
    case RouteId::Create:
      return create(r);
    case RouteId::BulkInfo:
      return bulk_info(r);
    case RouteId::BulkMetrics:
      return bulk_metrics(r);
    case RouteId::Info:
      return info(r);
    case RouteId::Destroy:
      return destroy(r);
    case RouteId::Stop:
      return stop_container(r);
    case RouteId::StreamIn:
      return stream_in(r);
    case RouteId::StreamOut:
      return stream_out(r);
    case RouteId::LimitsBandwidth:
      return limits(r, LimitKind::Bandwidth);
    case RouteId::LimitsCpu:
      return limits(r, LimitKind::Cpu);
    case RouteId::LimitsDisk:
      return limits(r, LimitKind::Disk);
    case RouteId::LimitsMemory:
      return limits(r, LimitKind::Memory);
    case RouteId::NetIn:
      return net_in(r);
    case RouteId::NetOut:
      return net_out(r, false);
    case RouteId::BulkNetOut:
      return net_out(r, true);
    case RouteId::Run:
      return run(r);
    case RouteId::Attach:
      return attach(r);
    case RouteId::Stdout:
      return output(r, kStdout);
    case RouteId::Stderr:
      return output(r, kStderr);
    case RouteId::SetGraceTime:
      return set_grace_time(r);
    case RouteId::Properties:
      return properties(r);
    case RouteId::Property:
      return property(r);
    case RouteId::SetProperty:
      return set_property(r);
    case RouteId::RemoveProperty:
      return remove_property(r);
    case RouteId::Metrics:
      return metrics(r);
  }
}

void Server::Impl::reply(Request& r, int status, const nlohmann::ordered_json& body) {
  std::string text = to_body(body);
  r.resp.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
  r.resp.setContentType("application/json");
  r.resp.setContentLength(static_cast<std::streamsize>(text.size()));
  r.resp.send() << text;
  r.status = status;
}

void Server::Impl::reply_error(Request& r, const GardenError& e) {
  if (e.http_status() >= 500) {
    log_.error("request-failed", {{"route", route_name(r.route.id)},
                                  {"handle", r.handle()},
                                  {"status", std::to_string(e.http_status())},
                                  {"error", e.what()}});
  }
  // Once the socket is ours (or a head went out) there is nobody left to tell.
  if (r.hijacked || r.resp.sent())
    return;
  // Read what the client is still sending (bounded) so it sees this answer, not a reset.
  if (!http::drain_request_body(r.http, 64 << 20))
    r.resp.setKeepAlive(false);
  std::string text = e.body();
  r.resp.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(e.http_status()));
  r.resp.setContentType("application/json");
  r.resp.setContentLength(static_cast<std::streamsize>(text.size()));
  r.resp.send() << text;
  r.status = e.http_status();
}

nlohmann::json Server::Impl::read_json(Request& r) {
  std::string body;
  std::istream& in = r.http.stream();
  char buf[64 * 1024];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    body.append(buf, static_cast<size_t>(in.gcount()));
    if (body.size() > kMaxJsonBody) {
      r.resp.setKeepAlive(false);
      throw GardenError(413, "", "request body is larger than 16 MiB");
    }
  }
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) {
    throw bad_request("request body must be JSON, got nothing");
  }
  try {
    return nlohmann::json::parse(body);
  } catch (const nlohmann::json::parse_error& e) {
    throw bad_request(std::string("malformed JSON in request body: ") + e.what());
  }
}

void Server::Impl::reap(const std::string& handle, std::chrono::nanoseconds grace) {
  try {
    auto d = gate_.begin_destroy(handle, opts_.request_timeout);
    if (!d)
      return;  // a client is destroying it already
    runtime_.destroy(d->ctx(), handle);
    table_.forget_container(handle);
    bomberman_.defuse(handle);
    log_.info(
        "reaped-container",
        {{"handle", handle},
         {"grace_time_ms",
          std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(grace).count())}});
  } catch (const std::exception& e) {
    log_.error("reap-container-failed", {{"handle", handle}, {"error", e.what()}});
    // Try again after another grace period rather than forget the container.
    bomberman_.strap(handle, grace);
  }
}

void Server::Impl::rearm_existing() {
  try {
    auto ctx = call_context();
    auto handles = runtime_.list(ctx.get(), {});
    for (const auto& h : handles) {
      try {
        auto info = runtime_.info(ctx.get(), h);
        std::chrono::nanoseconds grace = info.grace_time_ns > 0
                                             ? std::chrono::nanoseconds(info.grace_time_ns)
                                             : opts_.default_grace_time;
        bomberman_.strap(h, grace);
      } catch (const std::exception& e) {
        log_.warn("rearm-grace-time-failed", {{"handle", h}, {"error", e.what()}});
      }
    }
    log_.info("grace-timers-armed", {{"containers", std::to_string(handles.size())}});
  } catch (const std::exception& e) {
    log_.error("rearm-grace-timers-failed", {{"error", e.what()}});
  }
}

Server::Server(ServerOptions options, RuntimeBinding runtime, concourse::log::Logger log)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(runtime), std::move(log))) {}

Server::~Server() = default;

void Server::start() {
  impl_->start();
}
void Server::stop() {
  impl_->stop();
}
uint16_t Server::port() const {
  return impl_->port();
}

void Server::on_process_exit(uint64_t token, int32_t exit_status, std::string_view error) {
  impl_->on_process_exit(token, exit_status, error);
}

size_t Server::container_count() {
  return impl_->container_count();
}

}  // namespace concourse::worker::garden
