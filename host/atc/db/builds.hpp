// Builds (of jobs and one-off), their ordered event log, inputs and outputs. Event ids are dense
// per build starting at 0, so a reader resumes with "events after N".
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "atc/db/database.hpp"

namespace concourse::atc::db {

struct BuildRow {
  int64_t id = 0;
  std::string name;
  std::string team;
  std::string status;  // pending, started, succeeded, failed, errored, aborted
  std::optional<int64_t> job_id;
  std::optional<int64_t> pipeline_id;
  std::string job;       // "" for one-off builds
  std::string pipeline;  // "" for one-off builds
  nlohmann::json pipeline_instance_vars;
  nlohmann::json plan;
  int64_t create_time = 0, start_time = 0, end_time = 0;  // unix seconds, 0 = not yet
  bool aborted = false;
  bool completed = false;
};

struct BuildEvent {
  int64_t event_id = 0;
  std::string type;
  nlohmann::json payload;
};

struct BuildFilter {
  std::vector<std::string> teams;  // empty: every team
  bool include_public_pipelines = false;
  std::optional<int64_t> pipeline_id;
  std::optional<int64_t> job_id;
  std::optional<int64_t> before_id;  // builds with a smaller id (paging back)
  std::optional<int64_t> since_id;   // builds with a larger id
  int limit = 50;
};

struct BuildInput {
  std::string name;
  int64_t resource_id = 0;
  nlohmann::json version;
};

class Builds {
 public:
  explicit Builds(Database& db) : db_(db) {}

  // Names the build after the job's next build number (and advances it) in one transaction.
  BuildRow create_job_build(int64_t job_id, const nlohmann::json& plan,
                            const std::vector<BuildInput>& inputs);
  // One-off builds are named after their id. CC_E_NOT_FOUND for an unknown team.
  BuildRow create_one_off(const std::string& team, const nlohmann::json& plan);

  std::optional<BuildRow> get(int64_t id);
  std::optional<BuildRow> job_build(int64_t job_id, const std::string& name);
  std::vector<BuildRow> list(const BuildFilter& filter);
  std::optional<BuildRow> latest_of_job(int64_t job_id, bool finished_only);
  std::vector<BuildInput> inputs(int64_t build_id);

  // pending -> started, owned by web_node (whose restart means the build was lost).
  void start(int64_t id, const std::string& web_node);
  void finish(int64_t id, const std::string& status);
  // Flags the build aborted; a pending build ends as aborted right away. false: unknown id.
  bool request_abort(int64_t id);

  // Appends with the next event id and returns it.
  int64_t append_event(int64_t build_id, const std::string& type, const nlohmann::json& payload);
  std::vector<BuildEvent> events_after(int64_t build_id, int64_t after_event_id, int limit = 500);

  // Unfinished builds a previous run of web_node owned, ended as errored with an error event;
  // pending builds it had claimed but not started go back to the scheduler (any node may claim
  // them). Returns the errored builds.
  std::vector<int64_t> error_lost_builds(const std::string& web_node, const std::string& message);
  // Pending builds web_node claimed but did not start go back to the scheduler.
  void release_claims(const std::string& web_node);
  // Deletes the events of the job's finished builds beyond the newest `keep`; returns how many
  // builds lost their logs.
  size_t retain_logs(int64_t job_id, int keep);

 private:
  Database& db_;
};

}  // namespace concourse::atc::db
