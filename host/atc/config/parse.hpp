// Reading pipelines and task files: text -> Node -> (vars) -> typed config. Every function
// throws ParseError listing every problem found, each with its field path and position.
#pragma once

#include "config.hpp"
#include "errors.hpp"
#include "node.hpp"
#include "vars.hpp"

#include <string_view>

namespace concourse::atc::config {

struct ParseOptions {
  // Substituted before typed decoding; nullptr leaves every var in place.
  const Variables* vars = nullptr;
  // With vars: fail on vars they cannot resolve (UndefinedVarsError) instead of keeping them.
  bool strict_vars = false;
};

// Unknown top-level keys are dropped (pipelines use them as YAML anchor holders, and Concourse
// strips them); below the top level, unknown keys are errors.
Pipeline parse_pipeline(std::string_view text, const ParseOptions& options = {});
Pipeline decode_pipeline(const Node& doc);

TaskConfig parse_task_config(std::string_view text, const ParseOptions& options = {});
TaskConfig decode_task_config(const Node& doc);

// Concourse's JSON form, as `GET /api/v1/teams/:team/pipelines/:pipeline/config` returns it
// under "config". from_json accepts what to_json writes (and any YAML-equivalent JSON).
Json to_json(const Pipeline& pipeline);
Json to_json(const TaskConfig& config);
Json to_json(const Step& step);
Pipeline pipeline_from_json(const Json& json);
TaskConfig task_config_from_json(const Json& json);

}  // namespace concourse::atc::config
