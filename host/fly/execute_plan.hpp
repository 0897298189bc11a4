// What `fly execute` sends: its -i/-o flags resolved against the task config, and the one-off
// build plan built from them as Concourse's fly does (artifact inputs in parallel, then the task
// with the artifact outputs in an ensure, so outputs are kept even when the task fails).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "atc/config/config.hpp"

namespace concourse::fly {

struct NamedPath {
  std::string name;
  std::string path;
};

// "NAME=PATH" values of a repeatable flag; core::UsageError naming the flag otherwise.
std::vector<NamedPath> parse_named_paths(const std::vector<std::string>& values,
                                         const std::string& flag);

// The inputs to upload: the -i flags, checked against the task's inputs; with none given and a
// task of exactly one input, the current directory is that input (fly's default). Throws Failure
// for unknown names and missing required inputs.
std::vector<NamedPath> resolve_inputs(const atc::config::TaskConfig& task,
                                      const std::vector<NamedPath>& given, const std::string& cwd);
// The -o flags, checked against the task's outputs.
void check_outputs(const atc::config::TaskConfig& task, const std::vector<NamedPath>& outputs);

struct UploadedInput {
  std::string name;
  int64_t artifact_id = 0;
};

struct ExecutePlanOptions {
  nlohmann::json task_config;  // Concourse JSON of the task config
  std::vector<UploadedInput> inputs;
  std::vector<std::string> outputs;
  std::vector<std::string> tags;
  bool privileged = false;
};

nlohmann::json execute_plan(const ExecutePlanOptions& options);

}  // namespace concourse::fly
