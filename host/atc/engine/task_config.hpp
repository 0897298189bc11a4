#pragma once

#include <string>

#include "atc/config/config.hpp"
#include "context.hpp"

namespace concourse::atc::engine {

// The plan's config or the config file it names, validated, with the step's params applied.
// Throws StepError with Concourse's validation messages.
config::TaskConfig load_task_config(BuildContext& ctx, const json& task);

// The contents of one file inside an artifact's volume.
std::string read_artifact_file(BuildContext& ctx, const Artifact& a, const std::string& path);

}  // namespace concourse::atc::engine
