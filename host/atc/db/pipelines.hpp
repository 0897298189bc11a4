// Pipelines and the jobs and resources synced from their saved configuration. The config is kept
// as Concourse's JSON form; jobs and resources get rows of their own so builds, versions and
// pause flags outlive a config change that keeps their names.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "atc/db/database.hpp"

namespace concourse::atc::db {

struct PipelineRow {
  int64_t id = 0;
  std::string team;
  std::string name;
  nlohmann::json instance_vars;  // null when the pipeline is not an instance
  nlohmann::json config;
  int64_t config_version = 0;
  bool paused = true;
  bool is_public = false;
  int64_t ordering = 0;
  int64_t last_updated = 0;  // unix seconds
};

struct JobRow {
  int64_t id = 0;
  int64_t pipeline_id = 0;
  std::string pipeline;
  std::string team;
  std::string name;
  nlohmann::json config;
  bool paused = false;
  int64_t next_build_number = 1;
};

// What a saved config declares, for syncing rows: jobs by name, resources by name and type.
struct JobSpec {
  std::string name;
  nlohmann::json config;
};
struct ResourceSpec {
  std::string name;
  std::string type;
  nlohmann::json config;
  std::optional<nlohmann::json> pinned_version;  // `version:` in the config pins it
};

struct SavedPipeline {
  PipelineRow pipeline;
  bool created = false;
};

class Pipelines {
 public:
  explicit Pipelines(Database& db) : db_(db) {}

  // team "" = every team; ordered by team, then ordering, then name.
  std::vector<PipelineRow> list(const std::string& team = "");
  std::vector<PipelineRow> list_public_or_of(const std::vector<std::string>& teams);
  std::optional<PipelineRow> get(const std::string& team, const std::string& name);
  std::optional<PipelineRow> get_by_id(int64_t id);

  // Creates (paused) or updates the pipeline and syncs its jobs and resources. An existing
  // pipeline is only updated when expected_version equals its config_version (CC_E_CONFLICT
  // otherwise); CC_E_NOT_FOUND when the team does not exist.
  SavedPipeline save(const std::string& team, const std::string& name, const nlohmann::json& config,
                     std::optional<int64_t> expected_version, const std::vector<JobSpec>& jobs,
                     const std::vector<ResourceSpec>& resources);
  bool remove(const std::string& team, const std::string& name);
  bool set_paused(const std::string& team, const std::string& name, bool paused);
  bool set_public(const std::string& team, const std::string& name, bool is_public);
  // CC_E_CONFLICT when new_name is taken.
  bool rename(const std::string& team, const std::string& name, const std::string& new_name);
  // Orders the named pipelines first, in the given order; the others keep theirs after them.
  void order(const std::string& team, const std::vector<std::string>& names);

  std::vector<JobRow> jobs(int64_t pipeline_id);
  std::optional<JobRow> job(int64_t pipeline_id, const std::string& name);
  bool set_job_paused(int64_t job_id, bool paused);

 private:
  Database& db_;
};

}  // namespace concourse::atc::db
