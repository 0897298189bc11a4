// The TSA: Concourse's SSH gateway for workers (reference §3) on libssh. Workers authenticate
// with public keys; each session channel runs one command (forward-worker, land-worker, ...)
// with the worker JSON on stdin; the TSA calls the ATC's HTTP API with a client-credentials
// token and keeps each registered worker's heartbeat going.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/log.hpp"

namespace concourse::tsa {

struct Options {
  std::string bind_ip = "0.0.0.0";
  uint16_t bind_port = 2222;           // 0 = any free port (tests)
  std::string peer_address = "127.0.0.1";  // host the ATC dials for forwarded workers
  std::string host_key_path;           // PEM RSA private key (required)
  std::string authorized_keys_path;    // authorized_keys of global worker keys
  std::vector<std::pair<std::string, std::string>> team_authorized_keys;  // team, path
  std::vector<std::string> atc_urls;   // e.g. http://127.0.0.1:8080
  std::string client_id = "concourse-worker";
  std::string client_secret;
  std::string token_url;               // default <atc_urls[0]>/sky/issuer/token
  std::chrono::nanoseconds heartbeat_interval = std::chrono::seconds(30);
  std::chrono::nanoseconds garden_request_timeout = std::chrono::minutes(5);
};

class Server {
 public:
  Server(Options options, concourse::log::Logger log);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts accepting; throws core::Error with a clear message (bad key, port in use).
  void start();
  // Stops accepting, cancels running commands (forwarded workers are left to stall). Idempotent.
  void stop();
  // Re-reads the authorized keys files (SIGHUP).
  void reload_keys();
  uint16_t port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace concourse::tsa
