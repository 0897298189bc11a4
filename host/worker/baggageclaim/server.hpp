// The Baggageclaim HTTP API (:7788): Concourse's routes and JSON over a VolumeStore.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/log.hpp"
#include "worker/baggageclaim/volume_store.hpp"

namespace Poco::Net {
class HTTPServer;
}

namespace concourse::worker::baggageclaim {

struct Options {
  std::string bind_ip = "127.0.0.1";
  uint16_t bind_port = 7788;
  std::string volumes_dir;
  std::string overlays_dir;
  std::string driver = "detect";
  bool disable_user_namespaces = false;
  std::string p2p_interface_name_pattern = "eth0";
  int p2p_interface_family = 4;
};

class AsyncCreations;

class Server {
 public:
  Server(Options options, concourse::log::Logger log);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  void start();  // throws core::Error when it cannot bind
  void stop();
  uint16_t port() const { return port_; }
  size_t volume_count() const { return store_->count(); }
  VolumeStore& store() { return *store_; }

 private:
  Options options_;
  concourse::log::Logger log_;
  std::unique_ptr<VolumeStore> store_;
  std::shared_ptr<AsyncCreations> async_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  uint16_t port_ = 0;
};

}  // namespace concourse::worker::baggageclaim
