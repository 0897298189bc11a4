#include "worker/baggageclaim/server.hpp"

#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/ServerSocket.h>

#include "core/error.hpp"
#include "worker/baggageclaim/async_creations.hpp"
#include "worker/baggageclaim/handlers.hpp"

namespace concourse::worker::baggageclaim {

Server::Server(Options options, concourse::log::Logger log)
    : options_(std::move(options)), log_(std::move(log)) {
  if (options_.overlays_dir.empty())
    options_.overlays_dir = options_.volumes_dir + "/../overlays";
  store_ = std::make_unique<VolumeStore>(options_.volumes_dir,
                                         make_driver(options_.driver, options_.overlays_dir), log_);
  async_ = std::make_shared<AsyncCreations>(*store_);
  log_.info("volume-driver", {{"driver", store_->driver_name()}});
}

Server::~Server() {
  stop();
}

void Server::start() {
  try {
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress(options_.bind_ip, options_.bind_port),
                                   128);
    port_ = socket.address().port();
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(64);
    params->setMaxQueued(256);
    params->setKeepAlive(true);
    server_ = std::make_unique<Poco::Net::HTTPServer>(
        new HandlerFactory(Context{store_.get(), async_.get(), &options_, &port_, log_}), socket,
        params);
    server_->start();
  } catch (const Poco::Exception& e) {
    throw core::Error(CC_E_UNAVAILABLE, "listen on " + options_.bind_ip + ":" +
                                            std::to_string(options_.bind_port) +
                                            " for baggageclaim: " + e.displayText());
  }
}

void Server::stop() {
  if (server_) {
    server_->stopAll(true);
    server_.reset();
  }
}

}  // namespace concourse::worker::baggageclaim
