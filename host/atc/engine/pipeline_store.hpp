// Where the set_pipeline step saves pipelines: the web node's database in production (the same
// save `fly set-pipeline` goes through), so the engine itself never touches pipeline tables.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace concourse::atc::engine {

struct StoredPipeline {
  int64_t config_version = 0;
  nlohmann::json config;  // Concourse's JSON form, as config::to_json writes it
};

class PipelineStore {
 public:
  virtual ~PipelineStore() = default;
  virtual std::optional<StoredPipeline> current(const std::string& team,
                                                const std::string& name) = 0;
  // Saves config (Concourse's JSON form, already validated) if the pipeline is still at
  // expected_version (nullopt: it must not exist yet). A pipeline this creates starts unpaused,
  // as with Concourse's set_pipeline step. Returns true when it created the pipeline. Throws
  // core::Error: CC_E_CONFLICT when the version moved, CC_E_NOT_FOUND for an unknown team.
  virtual bool save(const std::string& team, const std::string& name, const nlohmann::json& config,
                    std::optional<int64_t> expected_version) = 0;
};

}  // namespace concourse::atc::engine
