// From pipeline configuration to Concourse's build plan JSON (atc.Plan): every step gets a
// unique plan id; get steps carry the version the scheduler picked; task steps carry their
// config or file; hooks, in_parallel, do, try, timeout and attempts nest as in Concourse.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "atc/config/config.hpp"

namespace concourse::atc::engine {

// versions: for each get step's name (the step's `get` name), the version to fetch.
// resources: the pipeline's resources (for type/source of get/put); resource_types likewise.
nlohmann::json plan_job(const config::Pipeline& pipeline, const config::Job& job,
                        const std::map<std::string, nlohmann::json>& versions);

}  // namespace concourse::atc::engine
