#include "placement.hpp"

#include <algorithm>
#include <map>

#include "core/flags.hpp"

namespace concourse::atc::engine {
namespace {

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos)
    return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

void check_limit(int64_t v, const char* flag) {
  if (v < 0)
    throw core::UsageError(std::string(flag) + " must be greater or equal than 0");
}

const std::vector<std::string>& known() {
  static const std::vector<std::string> names = {"volume-locality",         "random",
                                                 "fewest-build-containers", "limit-active-tasks",
                                                 "limit-active-containers", "limit-active-volumes"};
  return names;
}

}  // namespace

void add_placement_flags(core::FlagSet& fs, PlacementOptions& o) {
  fs.add_list("container-placement-strategy", &o.strategies,
              "method by which a worker is selected during container placement (default "
              "volume-locality; also random, fewest-build-containers, limit-active-tasks, "
              "limit-active-containers, limit-active-volumes); repeat it to chain strategies, "
              "applied in order; random should only be used alone");
  fs.add_int("max-active-tasks-per-worker", &o.max_active_tasks_per_worker,
             "maximum number of active build tasks per worker, with limit-active-tasks; "
             "0 means no limit");
  fs.add_int("max-active-containers-per-worker", &o.max_active_containers_per_worker,
             "maximum number of active containers per worker, with limit-active-containers; "
             "0 means no limit");
  fs.add_int("max-active-volumes-per-worker", &o.max_active_volumes_per_worker,
             "maximum number of active volumes per worker, with limit-active-volumes; "
             "0 means no limit");
}

PlacementOptions finish_placement_options(PlacementOptions o) {
  std::vector<std::string> names;
  for (const auto& entry : o.strategies) {
    size_t start = 0;
    while (start <= entry.size()) {
      size_t comma = entry.find(',', start);
      std::string name =
          trim(entry.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
      if (!name.empty()) {
        if (std::find(known().begin(), known().end(), name) == known().end())
          throw core::UsageError("invalid container placement strategy " + name);
        names.push_back(name);
      }
      if (comma == std::string::npos)
        break;
      start = comma + 1;
    }
  }
  if (names.empty())
    names = {"volume-locality"};
  o.strategies = names;
  check_limit(o.max_active_tasks_per_worker, "max-active-tasks-per-worker");
  check_limit(o.max_active_containers_per_worker, "max-active-containers-per-worker");
  check_limit(o.max_active_volumes_per_worker, "max-active-volumes-per-worker");
  if (o.recheck_interval.count() <= 0)
    o.recheck_interval = std::chrono::seconds(5);
  return o;
}

PlacementChain::PlacementChain(const PlacementOptions& options)
    : options_(finish_placement_options(options)) {
  static const std::map<std::string, Kind> kinds = {
      {"volume-locality", Kind::kVolumeLocality},
      {"fewest-build-containers", Kind::kFewestBuildContainers},
      {"limit-active-tasks", Kind::kTasks},
      {"limit-active-containers", Kind::kContainers},
      {"limit-active-volumes", Kind::kVolumes}};
  names_ = options_.strategies;
  // random adds nothing: an empty chain leaves the shuffled order as it is.
  for (const auto& n : names_) {
    if (auto it = kinds.find(n); it != kinds.end()) {
      chain_.push_back(it->second);
      chain_names_.push_back(n);
    }
  }
}

void PlacementChain::order_by(Kind k, std::vector<Candidate>& c, const PlacementSpec& spec) const {
  auto by = [&c](auto key) {
    std::stable_sort(c.begin(), c.end(),
                     [&key](const Candidate& a, const Candidate& b) { return key(a) < key(b); });
  };
  switch (k) {
    case Kind::kVolumeLocality:
      by([&spec](const Candidate& w) {
        return -std::count(spec.input_workers.begin(), spec.input_workers.end(), w.name);
      });
      break;
    case Kind::kFewestBuildContainers:
      by([](const Candidate& w) { return w.load.containers; });
      break;
    case Kind::kTasks:
      if (spec.task)
        by([](const Candidate& w) { return w.load.tasks; });
      break;
    case Kind::kContainers:
    case Kind::kVolumes:
      // Workers under the limit first, in the order they had.
      by([this, k, &spec](const Candidate& w) { return over_limit(k, w, spec) ? 1 : 0; });
      break;
  }
}

bool PlacementChain::over_limit(Kind k, const Candidate& c, const PlacementSpec& spec) const {
  auto over = [](int64_t have, int64_t max) { return max > 0 && have >= max; };
  switch (k) {
    case Kind::kTasks:
      return spec.task && over(c.load.tasks, options_.max_active_tasks_per_worker);
    case Kind::kContainers:
      return over(c.load.containers, options_.max_active_containers_per_worker);
    case Kind::kVolumes:
      return over(c.load.volumes, options_.max_active_volumes_per_worker);
    default:
      return false;
  }
}

// Stable sorts applied last strategy first: the first named strategy decides, the later ones
// break its ties (as "fewest-build-containers,volume-locality" reads).
void PlacementChain::order(std::vector<Candidate>& candidates, const PlacementSpec& spec,
                           std::mt19937& rng) const {
  std::shuffle(candidates.begin(), candidates.end(), rng);
  for (auto it = chain_.rbegin(); it != chain_.rend(); ++it)
    order_by(*it, candidates, spec);
}

std::string PlacementChain::refusal(const Candidate& c, const PlacementSpec& spec) const {
  for (size_t i = 0; i < chain_.size(); ++i) {
    if (over_limit(chain_[i], c, spec))
      return chain_names_[i];
  }
  return "";
}

}  // namespace concourse::atc::engine
