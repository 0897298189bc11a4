// `concourse worker`: the plugin host. Loads plugins from --plugin-dir, binds the selected runtime
// to the Garden server, serves volumes through Baggageclaim and health through probe plugins.
#pragma once

#include <atomic>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "core/log.hpp"
#include "worker/config.hpp"

namespace concourse::worker {

class TsaCommands;
namespace beacon {
class Beacon;
}

class Worker {
 public:
  explicit Worker(WorkerConfig config);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Loads plugins and starts every server; throws core::Error with a clear message.
  void start();
  // Stops the servers without touching containers or volumes (a restart reattaches). Idempotent.
  void stop();

  uint16_t garden_port() const;
  uint16_t baggageclaim_port() const;
  uint16_t health_port() const;
  // The TSA connection (GC sweeper/reporter commands); nullptr when running standalone.
  TsaCommands* tsa_commands() const;
  beacon::Beacon* tsa_beacon() const;
  // What the next registration advertises (resource_types of the worker JSON).
  nlohmann::json advertised_resource_types() const;

 private:
  void load_plugins();
  std::string start_servers();  // runtime, Garden, Baggageclaim; returns "runtime@version"
  void start_health();
  void start_resource_types();  // installer plugin, first install, directory watcher
  void start_registration();    // GC strategy, beacon, sweepers (only with a TSA)
  struct State;
  WorkerConfig config_;
  concourse::log::Logger log_;
  std::unique_ptr<State> state_;
};

// Blocks SIGINT/SIGTERM/SIGUSR1/SIGUSR2 in the calling thread; call before any thread starts so
// every thread inherits the mask and the main thread can sigwait() for them.
void block_worker_signals();

// Runs a worker until SIGINT/SIGTERM (or land/retire). Returns the process exit code.
int run_worker(const WorkerConfig& config);

}  // namespace concourse::worker
