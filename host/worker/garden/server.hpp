// The Garden HTTP server: Concourse's container API (:7777) served on top of a runtime plugin's
// C vtable. Routes, JSON shapes and the hijacked process I/O protocol follow
// code.cloudfoundry.org/garden; grace-time reaping ("bomberman") lives here, not in plugins.
#pragma once

#include <concourse/runtime.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/log.hpp"

namespace concourse::worker::garden {

struct RuntimeBinding {
  const cc_runtime_vtable* vtable = nullptr;
  cc_instance* instance = nullptr;
  uint64_t capabilities = 0;
  std::string name;  // e.g. "houdini@1.0.0", for messages
};

struct ServerOptions {
  std::string bind_ip = "127.0.0.1";
  uint16_t bind_port = 7777;
  std::chrono::nanoseconds default_grace_time{0};  // 0 = never reap
  std::chrono::nanoseconds request_timeout{std::chrono::minutes(5)};
};

class Server {
 public:
  Server(ServerOptions options, RuntimeBinding runtime, concourse::log::Logger log);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds (throws core::Error "listen on IP:PORT: <reason>"), starts the output reader and the
  // reaper, and re-arms grace timers for the containers the runtime already has.
  void start();
  // Closes the listener, ends every stream, joins every thread, releases every process. Idempotent.
  void stop();
  uint16_t port() const;

  // Called by the plugin host when a runtime reports an exit (host->notify_process_exit).
  // Thread-safe; may arrive before process_run returned (the token is registered before the call).
  void on_process_exit(uint64_t token, int32_t exit_status, std::string_view error);

  // How many containers the runtime holds right now.
  size_t container_count();

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace concourse::worker::garden
