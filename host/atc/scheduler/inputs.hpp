// Input selection for a job: which version each `get` step fetches. latest (newest enabled),
// `version: every` (oldest version this job has not used yet), pinned (on the step, in the
// resource's config or through the API), and `passed: [jobs]`: a version qualifies only when a
// succeeded build of each listed job used or produced it, and gets that share an upstream job
// must all come from one build of it (searched depth first, as Concourse's algorithm does).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "atc/db/builds.hpp"
#include "atc/db/database.hpp"

namespace concourse::atc::scheduler {

struct GetInput {
  std::string name;      // the step's get name (the artifact)
  std::string resource;  // resource name
  bool trigger = false;
  std::vector<std::string> passed;
  std::string mode = "latest";  // latest | every | pinned
  nlohmann::json pinned;        // mode pinned: the (partial) version
};

// Every get step of a job config (Concourse's JSON form), depth first; one entry per name.
std::vector<GetInput> job_inputs(const nlohmann::json& job_config);

struct InputSet {
  bool ready = false;
  std::string waiting;                 // why not ready, for users
  std::vector<db::BuildInput> inputs;  // one per get, in job order
  bool has_new_trigger = false;        // a trigger input has a version this job never used
};

InputSet select_inputs(db::Database& db, int64_t pipeline_id, int64_t job_id,
                       const nlohmann::json& job_config);

}  // namespace concourse::atc::scheduler
