// The seam between the ATC's build bookkeeping (database, API, event stream) and the engine that
// runs a build's plan on workers. The API side creates a build, hands its plan to a BuildRunner on
// a thread of its own and stores every event the runner emits; the runner never touches builds
// tables itself, so either side can be tested alone.
#pragma once

#include <atomic>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace concourse::atc::engine {

// Receives build events in order (reference §11.1): type is Concourse's event name ("status",
// "log", "initialize-task", "start-task", "finish-task", "initialize-get", "start-get",
// "finish-get", "initialize-put", "start-put", "finish-put", "error", "selected-worker", ...),
// data its payload (e.g. log: {"time":unix,"origin":{"id":PLAN_ID,"source":"stdout"},
// "payload":"..."}). Implementations are thread-safe: steps in in_parallel emit concurrently.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void emit(const std::string& type, const nlohmann::json& data) = 0;
};

struct BuildRequest {
  int64_t build_id = 0;
  std::string build_name;  // "1", "2", ... for job builds; the id for one-off builds
  std::string team;
  std::string pipeline;  // "" for one-off builds
  std::string job;       // "" for one-off builds
  std::string external_url;
  nlohmann::json plan;  // Concourse's atc.Plan JSON, as produced by planner.hpp
};

// A worker the engine may place containers on: what the ATC stores about it.
struct WorkerTarget {
  std::string name;
  std::string garden_addr;       // host:port
  std::string baggageclaim_url;  // http://host:port
  std::string team;              // "" = global
  std::vector<std::string> tags;
  nlohmann::json resource_types = nlohmann::json::array();  // atc.WorkerResourceType list
  int64_t active_containers = 0;                            // as of the worker's last heartbeat
  int64_t active_volumes = 0;
};

// A container or volume a build owns on a worker.
struct OwnedHandle {
  bool container = false;  // else a volume
  std::string worker, handle, team, type;
  int64_t build_id = 0;
};

// Where workers come from (the db in the web node; a fixed list in tests).
class WorkerSource {
 public:
  virtual ~WorkerSource() = default;
  virtual std::vector<WorkerTarget> running_workers() = 0;
  // GC ownership. A worker's report of a handle the ATC does not know makes the ATC destroy it,
  // so a build's handle is recorded as soon as it is chosen (before the create, for
  // containers) and marked destroying once the build releases it. The default records
  // nothing: without a database there is no collector either.
  virtual void owns(const OwnedHandle&) {}
  virtual void released(const OwnedHandle&) {}
};

class BuildRunner {
 public:
  virtual ~BuildRunner() = default;
  // Runs the plan to completion and returns the final status: "succeeded", "failed",
  // "errored" or "aborted". Never throws: an internal error is an "error" event and "errored".
  // `aborted` may become true at any time; the runner then stops its processes and returns
  // "aborted" promptly.
  virtual std::string run(const BuildRequest& request, EventSink& events,
                          const std::atomic<bool>& aborted) = 0;
};

}  // namespace concourse::atc::engine
