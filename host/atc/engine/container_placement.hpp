// Placing a step's container and creating it: the step waits while every worker is busy (and
// says so in its log, once, as Concourse does), and it is placed again when the chosen worker's
// Garden refuses the container for being full or cannot be reached, instead of failing.
#pragma once

#include <exception>
#include <functional>
#include <optional>
#include <string>

#include "context.hpp"
#include "garden_client.hpp"
#include "placement.hpp"

namespace concourse::atc::engine {

inline constexpr const char* kAllWorkersBusy =
    "All workers are busy at the moment, please stand-by.\n";

// Whether a failed Garden create means the worker is at its container limit: our runtimes
// answer CC_E_LIMIT, which Garden reports as a 500 whose message says "max containers reached"
// (as Guardian words it).
bool garden_full(const std::exception& e);

// Places a container of `spec` for the step plan_id, then calls prepare(worker) to make
// everything it needs there (volumes) and return the container's spec, tracks the container as
// `type` and creates it; the container's room on that worker is held until the build releases
// it. Returns the worker, or nullopt when the step was stopped (abort, timeout) while waiting.
std::optional<WorkerTarget> create_container(
    BuildContext& ctx, const std::string& plan_id, const PlacementSpec& spec, const Cancel& cancel,
    const std::string& type, const std::function<ContainerSpec(const WorkerTarget&)>& prepare);

}  // namespace concourse::atc::engine
