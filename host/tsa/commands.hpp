// The worker commands of reference §3.3, independent of SSH: a command gets its argv, the
// worker JSON read from stdin, the team its key is bound to, and a CommandIo through which it
// writes stdout, waits (interruptibly) and reaches its reverse forwards.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/log.hpp"
#include "tsa/atc_client.hpp"
#include "tsa/server.hpp"

namespace concourse::tsa {

struct Forward {
  uint32_t requested_port = 0;  // what the client asked for (7777 / 7788)
  uint16_t bound_port = 0;      // where the TSA listens on the peer address
};

class CommandIo {
 public:
  virtual ~CommandIo() = default;
  virtual void write_stdout(const std::string& data) = 0;
  // Waits up to d; true when the command was cancelled (SSH signal, client gone, server stop).
  virtual bool wait_cancelled(std::chrono::nanoseconds d) = 0;
  // Waits up to timeout for n tcpip-forward requests on this connection.
  virtual std::vector<Forward> wait_forwards(size_t n, std::chrono::nanoseconds timeout) = 0;
  // Stops accepting on the forwards' listeners (open connections keep flowing).
  virtual void stop_forwarding() = 0;
};

// Splits a command line on single spaces, as the TSA does.
std::vector<std::string> split_command(const std::string& line);

// Throws core::Error (message goes to the channel's stderr, exit-status 1) or returns for
// exit-status 0. key_team is "" for a global key.
void run_command(const std::vector<std::string>& argv, nlohmann::json worker,
                 const std::string& key_team, const Options& options, AtcClient& atc, CommandIo& io,
                 const concourse::log::Logger& log);

}  // namespace concourse::tsa
