#include "atc/db/resources.hpp"

#include "atc/db/sql.hpp"

namespace concourse::atc::db {
namespace {

using nlohmann::json;

constexpr const char* kResourceSelect =
    "SELECT r.id, r.pipeline_id, p.name, t.name, r.name, r.type, r.config, "
    "COALESCE(r.check_error, ''), r.last_check, rp.version, COALESCE(rp.config, false), "
    "COALESCE(rp.comment_text, '') FROM resources r JOIN pipelines p ON p.id = r.pipeline_id "
    "JOIN teams t ON t.id = p.team_id LEFT JOIN resource_pins rp ON rp.resource_id = r.id ";

constexpr const char* kVersionSelect =
    "SELECT id, resource_id, version, metadata, check_order, enabled FROM resource_versions ";

ResourceRow decode_resource(const Rows& r, size_t i) {
  ResourceRow out;
  out.id = r.get_int(i, 0);
  out.pipeline_id = r.get_int(i, 1);
  out.pipeline = r.get(i, 2);
  out.team = r.get(i, 3);
  out.name = r.get(i, 4);
  out.type = r.get(i, 5);
  out.config = json::parse(r.get(i, 6));
  out.check_error = r.get(i, 7);
  out.last_check = r.get_int(i, 8);
  if (!r.is_null(i, 9))
    out.pinned_version = json::parse(r.get(i, 9));
  out.pinned_in_config = r.get_bool(i, 10);
  out.pin_comment = r.get(i, 11);
  return out;
}

VersionRow decode_version(const Rows& r, size_t i) {
  return VersionRow{r.get_int(i, 0),          r.get_int(i, 1), json::parse(r.get(i, 2)),
                    json::parse(r.get(i, 3)), r.get_int(i, 4), r.get_bool(i, 5)};
}

std::optional<VersionRow> first_version(const Rows& r) {
  if (r.empty())
    return std::nullopt;
  return decode_version(r, 0);
}

}  // namespace

std::vector<ResourceRow> Resources::list(int64_t pipeline_id) {
  auto r = db_.exec(
      std::string(kResourceSelect) + "WHERE r.pipeline_id = $1 AND r.active ORDER BY r.name",
      {sql::num(pipeline_id)});
  std::vector<ResourceRow> out;
  for (size_t i = 0; i < r.size(); ++i)
    out.push_back(decode_resource(r, i));
  return out;
}

std::optional<ResourceRow> Resources::get(int64_t pipeline_id, const std::string& name) {
  auto r = db_.exec(
      std::string(kResourceSelect) + "WHERE r.pipeline_id = $1 AND r.name = $2 AND r.active",
      {sql::num(pipeline_id), name});
  if (r.empty())
    return std::nullopt;
  return decode_resource(r, 0);
}

std::vector<VersionRow> Resources::versions(int64_t resource_id, int limit) {
  auto r = db_.exec(
      std::string(kVersionSelect) + "WHERE resource_id = $1 ORDER BY check_order DESC LIMIT $2",
      {sql::num(resource_id), sql::num(limit)});
  std::vector<VersionRow> out;
  for (size_t i = 0; i < r.size(); ++i)
    out.push_back(decode_version(r, i));
  return out;
}

std::optional<VersionRow> Resources::version(int64_t resource_id, int64_t version_id) {
  return first_version(db_.exec(std::string(kVersionSelect) + "WHERE resource_id = $1 AND id = $2",
                                {sql::num(resource_id), sql::num(version_id)}));
}

std::optional<VersionRow> Resources::latest_enabled(int64_t resource_id) {
  auto pinned = first_version(
      db_.exec("SELECT v.id, v.resource_id, v.version, v.metadata, v.check_order, v.enabled "
               "FROM resource_pins rp JOIN resource_versions v ON v.resource_id = rp.resource_id "
               "AND v.version = rp.version WHERE rp.resource_id = $1",
               {sql::num(resource_id)}));
  if (pinned)
    return pinned;
  return first_version(db_.exec(std::string(kVersionSelect) + "WHERE resource_id = $1 AND enabled "
                                                              "ORDER BY check_order DESC LIMIT 1",
                                {sql::num(resource_id)}));
}

VersionRow Resources::save_version(int64_t resource_id, const json& version, const json& metadata) {
  auto r = db_.exec(
      "INSERT INTO resource_versions (resource_id, version, metadata, check_order) "
      "VALUES ($1, $2::jsonb, $3::jsonb, (SELECT COALESCE(MAX(check_order), 0) + 1 "
      "FROM resource_versions WHERE resource_id = $1)) "
      "ON CONFLICT (resource_id, version) DO UPDATE SET metadata = EXCLUDED.metadata "
      "RETURNING id, resource_id, version, metadata, check_order, enabled",
      {sql::num(resource_id), version.dump(), metadata.dump()});
  return decode_version(r, 0);
}

bool Resources::set_version_enabled(int64_t resource_id, int64_t version_id, bool enabled) {
  return db_.exec("UPDATE resource_versions SET enabled = $3 WHERE resource_id = $1 AND id = $2",
                  {sql::num(resource_id), sql::num(version_id), sql::boolean(enabled)})
             .affected() > 0;
}

bool Resources::pin(int64_t resource_id, int64_t version_id) {
  return db_.exec(
                "INSERT INTO resource_pins (resource_id, version) "
                "SELECT resource_id, version FROM resource_versions "
                "WHERE resource_id = $1 AND id = $2 "
                "ON CONFLICT (resource_id) DO UPDATE SET version = EXCLUDED.version, "
                "config = false",
                {sql::num(resource_id), sql::num(version_id)})
             .affected() > 0;
}

bool Resources::unpin(int64_t resource_id) {
  return db_.exec("DELETE FROM resource_pins WHERE resource_id = $1", {sql::num(resource_id)})
             .affected() > 0;
}

bool Resources::set_pin_comment(int64_t resource_id, const std::string& comment) {
  return db_.exec("UPDATE resource_pins SET comment_text = $2 WHERE resource_id = $1",
                  {sql::num(resource_id), comment})
             .affected() > 0;
}

int64_t Resources::request_check(int64_t resource_id, const json& from_version) {
  return db_
      .exec(
          "INSERT INTO resource_check_requests (resource_id, from_version, create_time) "
          "VALUES ($1, $2::jsonb, $3) RETURNING id",
          {sql::num(resource_id), from_version.is_null() ? Param() : Param(from_version.dump()),
           sql::num(sql::unix_now())})
      .get_int(0, 0);
}

}  // namespace concourse::atc::db
