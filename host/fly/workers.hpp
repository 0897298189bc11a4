// The pure part of `fly workers`: decoding atc.Worker, the age column, and the split into
// running / outdated / stalled tables fly prints.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace concourse::fly {

struct Worker {
  std::string name;
  std::string platform;
  std::string team;
  std::string state;
  std::string version;
  std::string addr;
  std::string baggageclaim_url;
  std::vector<std::string> tags;
  std::vector<std::string> resource_types;  // the `type` of each resource_types entry
  int64_t active_containers = 0;
  int64_t active_tasks = 0;
  int64_t start_time = 0;
};

// Throws Failure when `j` is not an object; absent or null fields stay at their defaults.
Worker worker_from_json(const nlohmann::ordered_json& j);

// fly's age cell: "n/a" without a start time (or one in the future), else "45s", "5m30s",
// "2h3m", "3d".
std::string format_age(int64_t start_time, int64_t now);

// Concourse's rule (rc.IsWorkerVersionCompatible): same major as `required`, minor not lower.
// An empty `required` accepts everything; an empty or non-numeric worker version is outdated.
bool worker_version_compatible(const std::string& worker_version, const std::string& required);

// What fly assumes the ATC wants when /api/v1/info does not say (released v7/v8 ATCs send 2.5).
inline constexpr const char* kDefaultWorkerVersion = "2.5";

struct WorkerGroups {
  std::vector<Worker> running;
  std::vector<Worker> outdated;
  std::vector<Worker> stalled;
};

// Sorts by name, then: stalled by state, otherwise outdated or running by version.
WorkerGroups classify_workers(std::vector<Worker> workers, const std::string& required_version);

}  // namespace concourse::fly
