#include "worker/health_server.hpp"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "core/error.hpp"
#include "core/plugin/call_context.hpp"

namespace concourse::worker {
namespace {

struct SharedOutcome {
  std::mutex mu;
  std::condition_variable done_cv;
  bool done = false;
  ProbeOutcome outcome;
};

class HealthHandler : public Poco::Net::HTTPRequestHandler {
 public:
  HealthHandler(std::shared_ptr<ProbeRunner> runner, concourse::log::Logger log)
      : runner_(std::move(runner)), log_(std::move(log)) {}

  void handleRequest(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse& resp) override {
    auto outcomes = runner_->run_all();
    nlohmann::json failures = nlohmann::json::array();
    for (const auto& o : outcomes) {
      if (!o.healthy)
        failures.push_back({{"probe", o.name}, {"error", o.message}});
    }
    if (runner_->empty())
      failures.push_back({{"probe", ""}, {"error", "no health probe loaded"}});
    if (failures.empty()) {
      resp.setStatus(Poco::Net::HTTPResponse::HTTP_OK);
      resp.setContentLength(0);
      resp.send();
      return;
    }
    log_.warn("healthcheck-failed", {{"failures", failures.dump()}});
    std::string body = nlohmann::json{{"healthy", false}, {"failures", failures}}.dump();
    resp.setStatus(Poco::Net::HTTPResponse::HTTP_SERVICE_UNAVAILABLE);
    resp.setContentType("application/json");
    resp.setContentLength(static_cast<std::streamsize>(body.size()));
    resp.send() << body;
  }

 private:
  std::shared_ptr<ProbeRunner> runner_;
  concourse::log::Logger log_;
};

class HealthFactory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  HealthFactory(std::shared_ptr<ProbeRunner> runner, concourse::log::Logger log)
      : runner_(std::move(runner)), log_(std::move(log)) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new HealthHandler(runner_, log_);
  }

 private:
  std::shared_ptr<ProbeRunner> runner_;
  concourse::log::Logger log_;
};

}  // namespace

ProbeRunner::ProbeRunner(std::vector<ProbeBinding> probes, std::chrono::nanoseconds timeout,
                         concourse::log::Logger log)
    : probes_(std::move(probes)), timeout_(timeout), log_(std::move(log)) {}

ProbeRunner::~ProbeRunner() {
  // Probe instances are destroyed after us; no probe call may still be running then.
  std::unique_lock lock(mu_);
  idle_.wait(lock, [this] { return in_flight_ == 0; });
}

std::vector<ProbeOutcome> ProbeRunner::run_all() {
  auto deadline = std::chrono::steady_clock::now() + timeout_;
  std::vector<std::shared_ptr<SharedOutcome>> shared;
  for (const auto& probe : probes_) {
    auto slot = std::make_shared<SharedOutcome>();
    slot->outcome.name = probe.name;
    shared.push_back(slot);
    {
      std::lock_guard lock(mu_);
      ++in_flight_;
    }
    std::thread([this, probe, slot, timeout = timeout_] {
      core::plugin::CallContext ctx(timeout);
      cc_probe_result result{};
      result.struct_size = sizeof result;
      cc_error err{};
      err.struct_size = sizeof err;
      int32_t rc = probe.vtable->probe(probe.instance, ctx.get(), &result, &err);
      ProbeOutcome o{probe.name, false, ""};
      if (rc != CC_OK) {
        o.message = std::string(core::status_name(rc)) + ": " + err.message;
      } else {
        result.message[sizeof result.message - 1] = '\0';
        o.healthy = result.status == CC_PROBE_OK || result.status == CC_PROBE_DEGRADED;
        o.message = result.message;
        if (result.status == CC_PROBE_DEGRADED) {
          log_.warn("probe-degraded", {{"probe", probe.name}, {"message", o.message}});
        }
      }
      {
        std::lock_guard lock(slot->mu);
        slot->outcome = std::move(o);
        slot->done = true;
      }
      slot->done_cv.notify_all();
      std::lock_guard lock(mu_);
      if (--in_flight_ == 0)
        idle_.notify_all();
    }).detach();
  }
  std::vector<ProbeOutcome> out;
  for (auto& slot : shared) {
    std::unique_lock lock(slot->mu);
    if (!slot->done_cv.wait_until(lock, deadline, [&] { return slot->done; })) {
      out.push_back({slot->outcome.name, false, "timed out"});
    } else {
      out.push_back(slot->outcome);
    }
  }
  return out;
}

HealthServer::HealthServer(std::string bind_ip, uint16_t port, std::shared_ptr<ProbeRunner> runner,
                           concourse::log::Logger log)
    : bind_ip_(std::move(bind_ip)), port_(port), runner_(std::move(runner)), log_(std::move(log)) {}

HealthServer::~HealthServer() {
  stop();
}

void HealthServer::start() {
  try {
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress(bind_ip_, port_), 64);
    port_ = socket.address().port();
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(8);
    params->setKeepAlive(false);
    server_ =
        std::make_unique<Poco::Net::HTTPServer>(new HealthFactory(runner_, log_), socket, params);
    server_->start();
  } catch (const Poco::Exception& e) {
    throw core::Error(CC_E_UNAVAILABLE, "listen on " + bind_ip_ + ":" + std::to_string(port_) +
                                            " for healthcheck: " + e.displayText());
  }
}

void HealthServer::stop() {
  if (server_) {
    server_->stopAll(true);
    server_.reset();
  }
}

}  // namespace concourse::worker
