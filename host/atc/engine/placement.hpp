// Container placement as Concourse's web node does it (`--container-placement-strategy`): a
// chain of strategies orders the workers that fit a step (each one breaking the ties of the one
// before it), then the limit-* strategies may refuse a worker that is at its limit; the first
// worker nobody refuses gets the container. When every worker is refused the step waits.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace concourse::core {
class FlagSet;
}

namespace concourse::atc::engine {

struct PlacementOptions {
  // Applied in order; empty = volume-locality (Concourse's default). An entry may hold several
  // names separated by commas, as CONCOURSE_CONTAINER_PLACEMENT_STRATEGY does.
  std::vector<std::string> strategies;
  int64_t max_active_tasks_per_worker = 0;       // limit-active-tasks; 0 = no limit
  int64_t max_active_containers_per_worker = 0;  // limit-active-containers; 0 = no limit
  int64_t max_active_volumes_per_worker = 0;     // limit-active-volumes; 0 = no limit
  // How often a waiting step looks at the workers again although nothing was released here:
  // what other web nodes or a worker's own GC free shows only in the next heartbeat. Concourse
  // polls every 5 s.
  std::chrono::milliseconds recheck_interval = std::chrono::seconds(5);
};

// --container-placement-strategy, --max-active-{tasks,containers,volumes}-per-worker.
void add_placement_flags(core::FlagSet& fs, PlacementOptions& o);

// Splits and trims the strategy names, applies the default and checks names and limits; throws
// core::UsageError naming the bad value. Idempotent.
PlacementOptions finish_placement_options(PlacementOptions o);

// A worker's load as the placer sees it: the heartbeat's figures combined with what this ATC
// placed since (see WorkerPool).
struct WorkerLoad {
  int64_t containers = 0, volumes = 0, tasks = 0;
};

// What the container to place needs.
struct PlacementSpec {
  std::string team;
  std::vector<std::string> tags;
  std::string resource_type;  // "" unless the container runs a resource type's script
  // One entry per input volume: the worker holding it (what volume-locality counts).
  std::vector<std::string> input_workers;
  bool task = false;  // a task step's container: the only kind limit-active-tasks counts
};

struct Candidate {
  std::string name;
  WorkerLoad load;
};

class PlacementChain {
 public:
  explicit PlacementChain(const PlacementOptions& options);  // finishes them itself

  // Best first. Candidates are shuffled first so that workers the strategies find equal share
  // a burst instead of all of it landing on one of them.
  void order(std::vector<Candidate>& candidates, const PlacementSpec& spec,
             std::mt19937& rng) const;
  // The name of the strategy refusing one more container of spec on c; "" when none does.
  std::string refusal(const Candidate& c, const PlacementSpec& spec) const;
  const std::vector<std::string>& names() const { return names_; }

 private:
  enum class Kind { kVolumeLocality, kFewestBuildContainers, kTasks, kContainers, kVolumes };
  void order_by(Kind k, std::vector<Candidate>& c, const PlacementSpec& spec) const;
  bool over_limit(Kind k, const Candidate& c, const PlacementSpec& spec) const;

  std::vector<Kind> chain_;
  std::vector<std::string> chain_names_;  // beside chain_
  std::vector<std::string> names_;
  PlacementOptions options_;
};

}  // namespace concourse::atc::engine
