// Concourse's JSON shapes for pipelines, jobs, builds and resources, and the lookups the CI
// handlers share (pipeline by team and name with the caller's access checked).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "atc/api/handlers.hpp"
#include "atc/db/builds.hpp"
#include "atc/db/pipelines.hpp"
#include "atc/db/resources.hpp"

namespace concourse::atc::api {

nlohmann::json pipeline_json(const db::PipelineRow& p);
nlohmann::json build_json(const db::BuildRow& b);
nlohmann::json job_json(const db::JobRow& j, const std::optional<db::BuildRow>& next,
                        const std::optional<db::BuildRow>& finished);
nlohmann::json resource_json(const db::ResourceRow& r);
nlohmann::json version_json(const db::VersionRow& v);

// Every get/put step of a job config (Concourse's JSON form), depth first.
struct JobStepRef {
  std::string name;      // the step's get/put value
  std::string resource;  // the resource it uses
  bool trigger = false;
  nlohmann::json passed = nlohmann::json::array();
};
std::vector<JobStepRef> job_gets(const nlohmann::json& job_config);
std::vector<JobStepRef> job_puts(const nlohmann::json& job_config);

// The pipeline :team/:pipeline; 404 when missing. Reading needs team access unless the pipeline
// is public; writing always needs it (401 anonymous, 403 another team).
db::PipelineRow pipeline_for_read(Context& ctx, const Request& req);
db::PipelineRow pipeline_for_write(Context& ctx, const Request& req);
db::JobRow job_of(Context& ctx, const db::PipelineRow& p, const std::string& name);
// Whether the caller may see builds and logs of team's pipelines (or a public one).
bool can_read_team(const Request& req, const std::string& team);

int64_t id_param(const Request& req, const std::string& name);

}  // namespace concourse::atc::api
