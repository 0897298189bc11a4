// Placement: which worker runs a step, and the per-worker cache of imported resource type
// images (imported once per worker, type and version, then COW-cloned for each container).
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "baggageclaim_client.hpp"
#include "build_runner.hpp"
#include "core/log.hpp"

namespace concourse::atc::engine {

class WorkerPool {
 public:
  explicit WorkerPool(WorkerSource& source) : source_(source) {}

  // The running worker for a step of `team` with `tags` that (when resource_type is not
  // empty) offers that type; prefer is chosen when eligible (where the inputs live), else the
  // one with fewest active containers. Throws StepError explaining why none fits.
  WorkerTarget choose(const std::string& team, const std::vector<std::string>& tags,
                      const std::string& resource_type, const std::string& prefer = "");
  WorkerTarget find(const std::string& name);
  WorkerSource& source() { return source_; }

 private:
  WorkerSource& source_;
};

// The resource type entry a worker advertises, or null.
const nlohmann::json* worker_resource_type(const WorkerTarget& w, const std::string& type);

class ImageCache {
 public:
  // The import volume of `type` on worker w, created on first use.
  Volume base_volume(const WorkerTarget& w, const std::string& type);

 private:
  std::mutex mu_;
  std::map<std::string, std::string> volumes_;  // worker/type/version -> handle
};

}  // namespace concourse::atc::engine
