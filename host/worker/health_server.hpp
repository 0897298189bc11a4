// The worker's health endpoint (:8888 by default). Every path and method is answered: 200 with an
// empty body when every enabled probe plugin passes within the timeout, 503 otherwise (with a JSON
// body naming the failing probes, which Concourse's clients ignore and operators appreciate).
#pragma once

#include <concourse/probe.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/log.hpp"

namespace Poco::Net {
class HTTPServer;
}

namespace concourse::worker {

struct ProbeBinding {
  const cc_probe_vtable* vtable = nullptr;
  cc_instance* instance = nullptr;
  std::string name;  // name@version, for messages
};

struct ProbeOutcome {
  std::string name;
  bool healthy = false;
  std::string message;
};

// Runs every probe in parallel under one deadline. A probe that overruns is reported as timed out;
// its thread is left to finish on its own (tracked, so shutdown still waits for it).
class ProbeRunner {
 public:
  ProbeRunner(std::vector<ProbeBinding> probes, std::chrono::nanoseconds timeout,
              concourse::log::Logger log);
  ~ProbeRunner();
  std::vector<ProbeOutcome> run_all();
  bool empty() const { return probes_.empty(); }

 private:
  std::vector<ProbeBinding> probes_;
  std::chrono::nanoseconds timeout_;
  concourse::log::Logger log_;
  std::mutex mu_;
  std::condition_variable idle_;
  int in_flight_ = 0;
};

class HealthServer {
 public:
  HealthServer(std::string bind_ip, uint16_t port, std::shared_ptr<ProbeRunner> runner,
               concourse::log::Logger log);
  ~HealthServer();
  void start();
  void stop();
  uint16_t port() const { return port_; }

 private:
  std::string bind_ip_;
  uint16_t port_;
  std::shared_ptr<ProbeRunner> runner_;
  concourse::log::Logger log_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
};

}  // namespace concourse::worker
