// The worker's signals once it has a beacon (reference §1.2): SIGUSR1 lands (exit when the TSA
// ends the registration; containers kept), SIGUSR2 retires (then every container and volume
// is destroyed through the worker's own Garden and Baggageclaim), SIGINT/SIGTERM cancel the
// registration and exit without touching containers (after SIGUSR2 they delete the worker).
#pragma once

#include <string>

#include "core/log.hpp"
#include "worker/beacon/beacon.hpp"

namespace concourse::worker::beacon {

struct LifecycleOptions {
  std::string garden_url;        // http://ip:port of the worker's Garden server
  std::string baggageclaim_url;  // http://ip:port of its Baggageclaim server
};

// Call with SIGINT/SIGTERM/SIGUSR1/SIGUSR2 blocked in every thread. Returns the exit code.
int run_lifecycle(Beacon& beacon, const LifecycleOptions& options,
                  const concourse::log::Logger& log);

// Destroys every container and volume; returns how many it could not destroy.
int destroy_all(const LifecycleOptions& options, const concourse::log::Logger& log);

}  // namespace concourse::worker::beacon
