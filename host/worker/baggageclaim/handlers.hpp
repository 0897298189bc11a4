// The route table of the Baggageclaim API and its Poco adapter.
#pragma once

#include <Poco/Net/HTTPRequestHandlerFactory.h>

#include "core/log.hpp"
#include "worker/baggageclaim/async_creations.hpp"
#include "worker/baggageclaim/server.hpp"

namespace concourse::worker::baggageclaim {

struct Context {
  VolumeStore* store;
  AsyncCreations* async;
  const Options* options;
  uint16_t* port;
  concourse::log::Logger log;
};

class HandlerFactory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit HandlerFactory(Context ctx) : ctx_(std::move(ctx)) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest& request) override;

 private:
  Context ctx_;
};

}  // namespace concourse::worker::baggageclaim
