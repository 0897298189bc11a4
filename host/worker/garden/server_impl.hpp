// Server internals shared by the route files (container_routes.cpp, process_routes.cpp,
// file_routes.cpp) and the lifecycle in server.cpp.
#pragma once

#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/ThreadPool.h>

#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "worker/garden/bomberman.hpp"
#include "worker/garden/connections.hpp"
#include "worker/garden/garden_error.hpp"
#include "worker/garden/handle_gate.hpp"
#include "worker/garden/process_table.hpp"
#include "worker/garden/routes.hpp"
#include "worker/garden/runtime_client.hpp"
#include "worker/garden/server.hpp"
#include "worker/garden/wire.hpp"

namespace concourse::worker::garden {

class Server::Impl {
 public:
  Impl(ServerOptions options, RuntimeBinding runtime, concourse::log::Logger log);
  ~Impl();

  void start();
  void stop();
  uint16_t port() const { return port_; }
  void on_process_exit(uint64_t token, int32_t exit_status, std::string_view error);
  size_t container_count();

  // Entry point of every request, on a Poco pool thread.
  void handle(Poco::Net::HTTPServerRequest& http, Poco::Net::HTTPServerResponse& resp);

 private:
  struct Request {
    Poco::Net::HTTPServerRequest& http;
    Poco::Net::HTTPServerResponse& resp;
    RouteMatch route;
    Query query;
    int status = 0;
    bool hijacked = false;
    const std::string& handle() const { return route.handle; }
  };

  void dispatch(Request& r);
  void reply(Request& r, int status, const nlohmann::ordered_json& body);
  void reply_error(Request& r, const GardenError& e);
  nlohmann::json read_json(Request& r);
  core::plugin::CallContext call_context() const;
  HandleGate::Use enter(const std::string& handle);

  // container_routes.cpp
  void ping(Request& r);
  void capacity(Request& r);
  void list(Request& r);
  void create(Request& r);
  void bulk_info(Request& r);
  void bulk_metrics(Request& r);
  void info(Request& r);
  void destroy(Request& r);
  void stop_container(Request& r);
  void limits(Request& r, LimitKind kind);
  void net_in(Request& r);
  void net_out(Request& r, bool bulk);
  void set_grace_time(Request& r);
  void properties(Request& r);
  void property(Request& r);
  void set_property(Request& r);
  void remove_property(Request& r);
  void metrics(Request& r);

  // process_routes.cpp
  void run(Request& r);
  void attach(Request& r);
  void output(Request& r, int channel);
  void hijack_control(Request& r, const std::shared_ptr<Stream>& stream, int status);

  // file_routes.cpp
  void stream_in(Request& r);
  void stream_out(Request& r);

  // Grace time: the reaper's detonation, and arming what the runtime already has at start.
  void reap(const std::string& handle, std::chrono::nanoseconds grace);
  void rearm_existing();

  ServerOptions opts_;
  concourse::log::Logger log_;
  RuntimeClient runtime_;
  HandleGate gate_;
  Bomberman bomberman_;
  ProcessTable table_;
  ConnectionRegistry connections_;
  std::unique_ptr<Poco::ThreadPool> pool_;
  std::unique_ptr<Poco::Net::HTTPServer> http_;
  std::mutex lifecycle_mu_;
  bool started_ = false;
  bool stopped_ = false;
  uint16_t port_ = 0;
};

// A random (v4) UUID, for generated handles and process ids.
std::string new_uuid();

}  // namespace concourse::worker::garden
