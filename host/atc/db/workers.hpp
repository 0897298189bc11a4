// Workers as the ATC stores them (`atc.Worker`, reference §2): register, heartbeat, land,
// retire, prune, delete, and the collector that stalls, lands, retires and expires them.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "atc/db/database.hpp"

namespace concourse::atc::db {

struct WorkerResourceType {
  std::string type;
  std::string image;  // host path of the type's rootfs on the worker
  std::string version;
  bool privileged = false;
  bool unique_version_history = false;
};

struct WorkerRow {
  std::string name;
  std::string addr;              // Garden host:port; empty once landed
  std::string baggageclaim_url;  // http://host:port; empty once landed
  std::string certs_path;
  std::string http_proxy_url, https_proxy_url, no_proxy;
  int64_t active_containers = 0, active_volumes = 0, active_tasks = 0;
  std::vector<WorkerResourceType> resource_types;
  std::string platform;
  std::vector<std::string> tags;
  std::string team;  // "" = global
  std::string version;
  int64_t start_time = 0;  // unix seconds
  bool ephemeral = false;
  std::string state;  // running | stalled | landing | landed | retiring
  std::optional<int64_t> expires;        // unix seconds; NULL for no TTL
  std::optional<int64_t> stalled_since;  // unix seconds
};

class Workers {
 public:
  explicit Workers(Database& db) : db_(db) {}

  // Upsert by name. Throws core::Error CC_E_CONFLICT when the name exists with another team
  // (or global vs team), CC_E_INVALID when the team does not exist. ttl 0 = no expiry. An empty
  // state stores "running"; name defaults to addr.
  WorkerRow save(WorkerRow w, std::chrono::seconds ttl);
  // Updates expires/active counts; stalled -> running. nullopt when the worker is gone.
  std::optional<WorkerRow> heartbeat(const std::string& name, std::chrono::seconds ttl,
                                     int64_t active_containers, int64_t active_volumes);
  std::optional<WorkerRow> get(const std::string& name);
  std::vector<WorkerRow> list();  // every worker, ordered by name
  // State transitions; false when no such worker.
  bool land(const std::string& name);
  bool retire(const std::string& name);
  // Deletes a non-running worker. Throws CC_E_CONFLICT for a running one; false when unknown.
  bool prune(const std::string& name);
  bool remove(const std::string& name);  // unconditional delete

  // One collector pass at `now` (unix seconds): running rows past expiry -> stalled (expires
  // NULL, stalled_since now); ephemeral rows past expiry deleted; landing -> landed (addr and
  // baggageclaim_url cleared) and retiring -> deleted when no container of an unfinished,
  // uninterruptible build is left on them. Returns the names whose state changed.
  std::vector<std::string> collect(int64_t now);

 private:
  Database& db_;
};

}  // namespace concourse::atc::db
