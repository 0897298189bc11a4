// The worker's beacon (reference §1.2, §3): an SSH client of the TSA that keeps the worker
// registered with `forward-worker`, carries the ATC's connections to the local Garden and
// Baggageclaim through reverse forwards, and runs the one-shot commands (land, retire, delete,
// sweep, report) on short connections of their own.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "core/log.hpp"
#include "worker/tsa_commands.hpp"

namespace concourse::worker::beacon {

struct BeaconOptions {
  std::vector<std::string> tsa_hosts = {"127.0.0.1:2222"};  // host:port; one picked per dial
  std::string tsa_public_key;      // authorized_keys-format file of accepted host keys
  std::string worker_private_key;  // the worker's key (PEM RSA or OpenSSH)
  std::string garden_addr;         // ip:port the beacon dials for forwarded Garden traffic
  std::string baggageclaim_addr;   // ip:port for forwarded Baggageclaim traffic
  std::chrono::nanoseconds keepalive_interval = std::chrono::seconds(5);
  std::chrono::nanoseconds max_retry_delay = std::chrono::seconds(5);
  // How long a cancelled registration may keep draining forwarded connections.
  std::chrono::nanoseconds drain_timeout = std::chrono::hours(1);
};

// The registration payload's fields that the worker knows (reference §2.1).
struct WorkerInfo {
  std::string name;
  std::vector<std::string> tags;
  std::string team;
  std::string platform = "linux";
  std::string version = "2.5";
  bool ephemeral = false;
  std::string http_proxy_url, https_proxy_url, no_proxy, certs_path;
  int64_t start_time = 0;  // unix seconds; 0 = when the Beacon is made
};

// Returns the JSON array of resource types to advertise; called for every registration.
using ResourceTypesProvider = std::function<nlohmann::json()>;

enum class RegistrationEnd {
  Running,  // not ended yet
  Exited,   // the TSA ended forward-worker with an exit status (landed, retired, deleted)
  Stopped,  // stop() was called
};

class Beacon : public TsaCommands {
 public:
  Beacon(BeaconOptions options, WorkerInfo info, ResourceTypesProvider resource_types,
         concourse::log::Logger log);
  ~Beacon() override;
  Beacon(const Beacon&) = delete;
  Beacon& operator=(const Beacon&) = delete;

  // Starts the registration loop (connect, forward, re-register after errors with backoff).
  void start();
  // Cancels the registration (SSH signal INT to forward-worker), then closes. Idempotent.
  void stop();

  // Registers again with a fresh worker JSON (new resource types) without dropping the worker:
  // the new registration is made first, then the old one is cancelled and keeps carrying the
  // connections already forwarded through it until they end (or drain_timeout). Any thread.
  void refresh();
  int registrations() const { return registrations_; }

  // Short commands on their own connections; throw like run().
  void land();
  void retire();
  void delete_worker();
  std::string run(const std::string& command_line, const std::string& worker_json) override;

  std::string worker_json() const;
  // True once the TSA reported {"event":"registered"} on the current registration.
  bool registered() const { return registered_; }
  int heartbeats() const { return heartbeats_; }
  RegistrationEnd ended() const { return ended_; }
  // The exit status forward-worker ended with (Exited), -1 otherwise.
  int exit_status() const { return exit_status_; }
  // Becomes readable (eventfd) once the registration loop ended; for poll() in the lifecycle.
  int ended_fd() const { return ended_fd_; }
  // Blocks until the registration loop ended or timeout; true when it ended.
  bool wait_ended(std::chrono::nanoseconds timeout);

  struct Registration;

 private:
  void registration_loop();
  bool pause(std::chrono::nanoseconds d);  // false when stop() interrupts
  void drain_in_background(std::shared_ptr<Registration> old);

  BeaconOptions options_;
  WorkerInfo info_;
  ResourceTypesProvider resource_types_;
  concourse::log::Logger log_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::shared_ptr<Registration> current_;
  std::atomic<uint64_t> generation_{0};  // bumped by refresh(); a registration records its own
  std::atomic<int> registrations_{0};
  std::vector<std::pair<std::shared_ptr<Registration>, std::thread>> draining_;
  std::atomic<bool> registered_{false};
  std::atomic<int> heartbeats_{0};
  std::atomic<RegistrationEnd> ended_{RegistrationEnd::Running};
  std::atomic<int> exit_status_{-1};
  int ended_fd_ = -1;
};

}  // namespace concourse::worker::beacon
