#include "atc/db_pipeline_store.hpp"

#include "atc/db/pipelines.hpp"

namespace concourse::atc {

using nlohmann::json;

std::optional<engine::StoredPipeline> DbPipelineStore::current(const std::string& team,
                                                               const std::string& name) {
  auto p = db::Pipelines(db_).get(team, name);
  if (!p)
    return std::nullopt;
  return engine::StoredPipeline{p->config_version, p->config};
}

bool DbPipelineStore::save(const std::string& team, const std::string& name, const json& config,
                           std::optional<int64_t> expected_version) {
  std::vector<db::JobSpec> jobs;
  std::vector<db::ResourceSpec> resources;
  for (const auto& j : config.value("jobs", json::array()))
    jobs.push_back({j.at("name").get<std::string>(), j});
  for (const auto& r : config.value("resources", json::array())) {
    db::ResourceSpec spec{r.at("name").get<std::string>(), r.value("type", ""), r, std::nullopt};
    if (r.contains("version") && r["version"].is_object())
      spec.pinned_version = r["version"];
    resources.push_back(std::move(spec));
  }
  db::Pipelines pipelines(db_);
  db::SavedPipeline saved = pipelines.save(team, name, config, expected_version, jobs, resources);
  if (saved.created)
    pipelines.set_paused(team, name, false);
  return saved.created;
}

}  // namespace concourse::atc
