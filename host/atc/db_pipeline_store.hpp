// The set_pipeline step's store in a web node: the pipelines table, saved the way the API's
// `PUT .../config` (fly set-pipeline) saves it, jobs and resources synced alike.
#pragma once

#include "atc/db/database.hpp"
#include "atc/engine/pipeline_store.hpp"

namespace concourse::atc {

class DbPipelineStore : public engine::PipelineStore {
 public:
  explicit DbPipelineStore(db::Database& db) : db_(db) {}
  std::optional<engine::StoredPipeline> current(const std::string& team,
                                                const std::string& name) override;
  bool save(const std::string& team, const std::string& name, const nlohmann::json& config,
            std::optional<int64_t> expected_version) override;

 private:
  db::Database& db_;
};

}  // namespace concourse::atc
