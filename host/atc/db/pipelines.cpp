#include "atc/db/pipelines.hpp"

#include <concourse/status.h>

#include "atc/db/sql.hpp"
#include "core/error.hpp"

namespace concourse::atc::db {
namespace {

using core::Error;
using nlohmann::json;

constexpr const char* kPipelineColumns =
    "p.id, t.name, p.name, p.instance_vars, p.config, p.config_version, p.paused, p.public, "
    "p.ordering, p.last_updated FROM pipelines p JOIN teams t ON t.id = p.team_id ";

constexpr const char* kJobColumns =
    "j.id, j.pipeline_id, p.name, t.name, j.name, j.config, j.paused, j.next_build_number "
    "FROM jobs j JOIN pipelines p ON p.id = j.pipeline_id JOIN teams t ON t.id = p.team_id ";

json json_or_null(const Rows& r, size_t i, size_t col) {
  return r.is_null(i, col) ? json() : json::parse(r.get(i, col));
}

PipelineRow decode_pipeline(const Rows& r, size_t i) {
  PipelineRow p;
  p.id = r.get_int(i, 0);
  p.team = r.get(i, 1);
  p.name = r.get(i, 2);
  p.instance_vars = json_or_null(r, i, 3);
  p.config = json::parse(r.get(i, 4));
  p.config_version = r.get_int(i, 5);
  p.paused = r.get_bool(i, 6);
  p.is_public = r.get_bool(i, 7);
  p.ordering = r.get_int(i, 8);
  p.last_updated = r.get_int(i, 9);
  return p;
}

std::vector<PipelineRow> decode_pipelines(const Rows& r) {
  std::vector<PipelineRow> out;
  for (size_t i = 0; i < r.size(); ++i)
    out.push_back(decode_pipeline(r, i));
  return out;
}

JobRow decode_job(const Rows& r, size_t i) {
  JobRow j;
  j.id = r.get_int(i, 0);
  j.pipeline_id = r.get_int(i, 1);
  j.pipeline = r.get(i, 2);
  j.team = r.get(i, 3);
  j.name = r.get(i, 4);
  j.config = json::parse(r.get(i, 5));
  j.paused = r.get_bool(i, 6);
  j.next_build_number = r.get_int(i, 7);
  return j;
}

std::string names_array(const std::vector<std::string>& names) {
  return sql::text_array(names);
}

// Rows of jobs and resources no longer in the config are deactivated rather than deleted: their
// builds and versions come back if the name does.
void sync_jobs(Connection& c, int64_t pipeline_id, const std::vector<JobSpec>& jobs) {
  std::vector<std::string> names;
  for (const auto& j : jobs) {
    names.push_back(j.name);
    c.exec(
        "INSERT INTO jobs (pipeline_id, name, config) VALUES ($1, $2, $3::jsonb) "
        "ON CONFLICT (pipeline_id, name) DO UPDATE SET config = EXCLUDED.config, active = true",
        {sql::num(pipeline_id), j.name, j.config.dump()});
  }
  c.exec("UPDATE jobs SET active = false WHERE pipeline_id = $1 AND NOT (name = ANY($2::text[]))",
         {sql::num(pipeline_id), names_array(names)});
}

void sync_resources(Connection& c, int64_t pipeline_id, const std::vector<ResourceSpec>& rs) {
  std::vector<std::string> names;
  for (const auto& r : rs) {
    names.push_back(r.name);
    auto id = c.exec(
                   "INSERT INTO resources (pipeline_id, name, type, config) "
                   "VALUES ($1, $2, $3, $4::jsonb) ON CONFLICT (pipeline_id, name) DO UPDATE SET "
                   "type = EXCLUDED.type, config = EXCLUDED.config, active = true RETURNING id",
                   {sql::num(pipeline_id), r.name, r.type, r.config.dump()})
                  .get(0, 0);
    if (r.pinned_version) {
      c.exec(
          "INSERT INTO resource_pins (resource_id, version, config) VALUES ($1, $2::jsonb, true) "
          "ON CONFLICT (resource_id) DO UPDATE SET version = EXCLUDED.version, config = true",
          {id, r.pinned_version->dump()});
    } else {
      c.exec("DELETE FROM resource_pins WHERE resource_id = $1 AND config", {id});
    }
  }
  c.exec(
      "UPDATE resources SET active = false WHERE pipeline_id = $1 AND NOT (name = ANY($2::text[]))",
      {sql::num(pipeline_id), names_array(names)});
}

}  // namespace

std::vector<PipelineRow> Pipelines::list(const std::string& team) {
  return decode_pipelines(db_.exec(std::string("SELECT ") + kPipelineColumns +
                                       "WHERE ($1::text IS NULL OR t.name = $1) "
                                       "ORDER BY t.name, p.ordering, p.name",
                                   {sql::nullable(team)}));
}

std::vector<PipelineRow> Pipelines::list_public_or_of(const std::vector<std::string>& teams) {
  return decode_pipelines(db_.exec(std::string("SELECT ") + kPipelineColumns +
                                       "WHERE p.public OR t.name = ANY($1::text[]) "
                                       "ORDER BY t.name, p.ordering, p.name",
                                   {sql::text_array(teams)}));
}

std::optional<PipelineRow> Pipelines::get(const std::string& team, const std::string& name) {
  auto r = db_.exec(std::string("SELECT ") + kPipelineColumns + "WHERE t.name = $1 AND p.name = $2",
                    {team, name});
  if (r.empty())
    return std::nullopt;
  return decode_pipeline(r, 0);
}

std::optional<PipelineRow> Pipelines::get_by_id(int64_t id) {
  auto r = db_.exec(std::string("SELECT ") + kPipelineColumns + "WHERE p.id = $1", {sql::num(id)});
  if (r.empty())
    return std::nullopt;
  return decode_pipeline(r, 0);
}

SavedPipeline Pipelines::save(const std::string& team, const std::string& name, const json& config,
                              std::optional<int64_t> expected_version,
                              const std::vector<JobSpec>& jobs,
                              const std::vector<ResourceSpec>& resources) {
  SavedPipeline out;
  db_.transaction([&](Connection& c) {
    auto t = c.exec("SELECT id FROM teams WHERE name = $1", {team});
    if (t.empty())
      throw Error(CC_E_NOT_FOUND, "team '" + team + "' not found");
    auto existing = c.exec(
        "SELECT id, config_version FROM pipelines WHERE team_id = $1 AND name = $2 FOR UPDATE",
        {t.get(0, 0), name});
    int64_t id = 0;
    if (existing.empty()) {
      id = c.exec(
                "INSERT INTO pipelines (team_id, name, config, last_updated, ordering) "
                "VALUES ($1, $2, $3::jsonb, $4, (SELECT COALESCE(MAX(ordering), 0) + 1 "
                "FROM pipelines WHERE team_id = $1)) RETURNING id",
                {t.get(0, 0), name, config.dump(), sql::num(sql::unix_now())})
               .get_int(0, 0);
      out.created = true;
    } else {
      id = existing.get_int(0, 0);
      if (!expected_version || *expected_version != existing.get_int(0, 1))
        throw Error(CC_E_CONFLICT, "pipeline config version mismatch: the pipeline changed");
      c.exec(
          "UPDATE pipelines SET config = $2::jsonb, config_version = config_version + 1, "
          "last_updated = $3 WHERE id = $1",
          {sql::num(id), config.dump(), sql::num(sql::unix_now())});
      out.created = false;
    }
    sync_jobs(c, id, jobs);
    sync_resources(c, id, resources);
    auto r = c.exec(std::string("SELECT ") + kPipelineColumns + "WHERE p.id = $1", {sql::num(id)});
    out.pipeline = decode_pipeline(r, 0);
  });
  return out;
}

bool Pipelines::remove(const std::string& team, const std::string& name) {
  return db_.exec(
                "DELETE FROM pipelines WHERE name = $2 AND team_id = "
                "(SELECT id FROM teams WHERE name = $1)",
                {team, name})
             .affected() > 0;
}

bool Pipelines::set_paused(const std::string& team, const std::string& name, bool paused) {
  return db_.exec(
                "UPDATE pipelines SET paused = $3 WHERE name = $2 AND team_id = "
                "(SELECT id FROM teams WHERE name = $1)",
                {team, name, sql::boolean(paused)})
             .affected() > 0;
}

bool Pipelines::set_public(const std::string& team, const std::string& name, bool is_public) {
  return db_.exec(
                "UPDATE pipelines SET public = $3 WHERE name = $2 AND team_id = "
                "(SELECT id FROM teams WHERE name = $1)",
                {team, name, sql::boolean(is_public)})
             .affected() > 0;
}

bool Pipelines::rename(const std::string& team, const std::string& name,
                       const std::string& new_name) {
  return db_.exec(
                "UPDATE pipelines SET name = $3 WHERE name = $2 AND team_id = "
                "(SELECT id FROM teams WHERE name = $1)",
                {team, name, new_name})
             .affected() > 0;
}

void Pipelines::order(const std::string& team, const std::vector<std::string>& names) {
  db_.transaction([&](Connection& c) {
    c.exec(
        "UPDATE pipelines SET ordering = ordering + $2 WHERE team_id = "
        "(SELECT id FROM teams WHERE name = $1)",
        {team, sql::num(static_cast<int64_t>(names.size()))});
    for (size_t i = 0; i < names.size(); ++i) {
      c.exec(
          "UPDATE pipelines SET ordering = $3 WHERE name = $2 AND team_id = "
          "(SELECT id FROM teams WHERE name = $1)",
          {team, names[i], sql::num(static_cast<int64_t>(i))});
    }
  });
}

std::vector<JobRow> Pipelines::jobs(int64_t pipeline_id) {
  auto r = db_.exec(
      std::string("SELECT ") + kJobColumns + "WHERE j.pipeline_id = $1 AND j.active ORDER BY j.id",
      {sql::num(pipeline_id)});
  std::vector<JobRow> out;
  for (size_t i = 0; i < r.size(); ++i)
    out.push_back(decode_job(r, i));
  return out;
}

std::optional<JobRow> Pipelines::job(int64_t pipeline_id, const std::string& name) {
  auto r = db_.exec(std::string("SELECT ") + kJobColumns +
                        "WHERE j.pipeline_id = $1 AND j.name = $2 AND j.active",
                    {sql::num(pipeline_id), name});
  if (r.empty())
    return std::nullopt;
  return decode_job(r, 0);
}

bool Pipelines::set_job_paused(int64_t job_id, bool paused) {
  return db_.exec("UPDATE jobs SET paused = $2 WHERE id = $1",
                  {sql::num(job_id), sql::boolean(paused)})
             .affected() > 0;
}

}  // namespace concourse::atc::db
