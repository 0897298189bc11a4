// Resources of pipelines, their discovered versions (newest check_order first), pins and the
// check requests the API queues for the checker.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "atc/db/database.hpp"

namespace concourse::atc::db {

struct ResourceRow {
  int64_t id = 0;
  int64_t pipeline_id = 0;
  std::string pipeline;
  std::string team;
  std::string name;
  std::string type;
  nlohmann::json config;
  std::string check_error;
  int64_t last_check = 0;
  std::optional<nlohmann::json> pinned_version;
  bool pinned_in_config = false;
  std::string pin_comment;
};

struct VersionRow {
  int64_t id = 0;
  int64_t resource_id = 0;
  nlohmann::json version;
  nlohmann::json metadata;  // [{"name":..,"value":..}]
  int64_t check_order = 0;
  bool enabled = true;
};

class Resources {
 public:
  explicit Resources(Database& db) : db_(db) {}

  std::vector<ResourceRow> list(int64_t pipeline_id);
  std::optional<ResourceRow> get(int64_t pipeline_id, const std::string& name);

  // Newest first.
  std::vector<VersionRow> versions(int64_t resource_id, int limit = 100);
  std::optional<VersionRow> version(int64_t resource_id, int64_t version_id);
  // The pinned version when pinned, else the newest enabled one.
  std::optional<VersionRow> latest_enabled(int64_t resource_id);
  // Records a version as the newest seen (or moves an old one to the top), as a check does.
  VersionRow save_version(int64_t resource_id, const nlohmann::json& version,
                          const nlohmann::json& metadata);
  bool set_version_enabled(int64_t resource_id, int64_t version_id, bool enabled);

  // Pins to one of the resource's versions; false when the version is not the resource's.
  bool pin(int64_t resource_id, int64_t version_id);
  bool unpin(int64_t resource_id);
  bool set_pin_comment(int64_t resource_id, const std::string& comment);

  // Queues a check for the checker; returns the request's id.
  int64_t request_check(int64_t resource_id, const nlohmann::json& from_version);

 private:
  Database& db_;
};

}  // namespace concourse::atc::db
