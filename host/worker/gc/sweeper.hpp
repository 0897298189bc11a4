// The worker's container and volume sweepers (reference §8.2): every interval, independently
// for containers and volumes, list what this worker holds, report it to the ATC, fetch what the
// ATC marked destroying, let the GC strategy plugin propose removals, and carry out the ones the
// host's rule admits with bounded concurrency. The host deletes; the plugin only decides.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/log.hpp"
#include "worker/gc/local_inventory.hpp"
#include "worker/gc/snapshot.hpp"
#include "worker/gc/strategy.hpp"
#include "worker/tsa_commands.hpp"

namespace concourse::worker::gc {

struct SweeperOptions {
  std::chrono::nanoseconds interval = std::chrono::seconds(30);
  size_t container_max_in_flight = 5;
  size_t volume_max_in_flight = 3;
  std::string volumes_dir;                   // filesystem whose free space the snapshot reports
  std::function<std::string()> worker_json;  // stdin of every TSA command; "{}" when unset
  std::chrono::nanoseconds plan_timeout = std::chrono::seconds(30);
};

// What one sweep did, for logs and tests.
struct SweepResult {
  bool listed = false;    // the local listing succeeded (and so a report was attempted)
  bool reported = false;  // report-* succeeded
  bool swept = false;     // sweep-* succeeded and the strategy planned
  std::vector<std::string> reported_handles;
  std::vector<std::string> destroyed, refused, failed;
};

class Sweeper {
 public:
  // tsa must outlive the Sweeper, and so must the strategy's instance.
  Sweeper(SweeperOptions options, TsaCommands& tsa, LocalEndpoints endpoints,
          GcStrategyBinding strategy, concourse::log::Logger log);
  ~Sweeper();
  Sweeper(const Sweeper&) = delete;
  Sweeper& operator=(const Sweeper&) = delete;

  // Starts one thread per kind; the first sweep comes one interval after start, as with
  // Concourse's tickers (the beacon has registered by then).
  void start();
  // Wakes the waits and joins; a sweep in progress stops before its next destroy. Idempotent.
  void stop();

  SweepResult sweep_containers();
  SweepResult sweep_volumes();
  void run_once();  // both, on the calling thread

 private:
  void loop(bool containers);
  std::string worker_json() const;
  bool report(const std::string& command, const std::vector<std::string>& handles,
              SweepResult& result);
  std::vector<std::string> fetch_destroying(const std::string& command) const;
  void execute(uint32_t kind, const Snapshot& snapshot, std::vector<Decision> decisions,
               size_t max_in_flight, SweepResult& result);

  SweeperOptions options_;
  TsaCommands& tsa_;
  LocalInventory inventory_;
  Strategy strategy_;
  concourse::log::Logger log_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<bool> stopping_{false};
  std::vector<std::thread> threads_;
};

}  // namespace concourse::worker::gc
