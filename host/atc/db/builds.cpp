#include "atc/db/builds.hpp"

#include <concourse/status.h>

#include <algorithm>

#include "atc/db/sql.hpp"
#include "core/error.hpp"

namespace concourse::atc::db {
namespace {

using core::Error;
using nlohmann::json;

constexpr const char* kBuildSelect =
    "SELECT b.id, b.name, t.name, b.status, b.job_id, b.pipeline_id, COALESCE(j.name, ''), "
    "COALESCE(p.name, ''), p.instance_vars, b.plan, b.create_time, b.start_time, b.end_time, "
    "b.aborted, b.completed FROM builds b JOIN teams t ON t.id = b.team_id "
    "LEFT JOIN jobs j ON j.id = b.job_id LEFT JOIN pipelines p ON p.id = b.pipeline_id ";

BuildRow decode_build(const Rows& r, size_t i) {
  BuildRow b;
  b.id = r.get_int(i, 0);
  b.name = r.get(i, 1);
  b.team = r.get(i, 2);
  b.status = r.get(i, 3);
  b.job_id = sql::opt_int(r, i, 4);
  b.pipeline_id = sql::opt_int(r, i, 5);
  b.job = r.get(i, 6);
  b.pipeline = r.get(i, 7);
  if (!r.is_null(i, 8))
    b.pipeline_instance_vars = json::parse(r.get(i, 8));
  if (!r.is_null(i, 9))
    b.plan = json::parse(r.get(i, 9));
  b.create_time = r.get_int(i, 10);
  b.start_time = r.get_int(i, 11);
  b.end_time = r.get_int(i, 12);
  b.aborted = r.get_bool(i, 13);
  b.completed = r.get_bool(i, 14);
  return b;
}

std::vector<BuildRow> decode_builds(const Rows& r) {
  std::vector<BuildRow> out;
  for (size_t i = 0; i < r.size(); ++i)
    out.push_back(decode_build(r, i));
  return out;
}

std::optional<BuildRow> first(const Rows& r) {
  if (r.empty())
    return std::nullopt;
  return decode_build(r, 0);
}

BuildRow reread(Connection& c, int64_t id) {
  return decode_build(c.exec(std::string(kBuildSelect) + "WHERE b.id = $1", {sql::num(id)}), 0);
}

constexpr const char* kAppendEvent =
    "INSERT INTO build_events (build_id, event_id, type, payload) "
    "SELECT $1, COALESCE(MAX(event_id) + 1, 0), $2, $3::jsonb FROM build_events "
    "WHERE build_id = $1 RETURNING event_id";

}  // namespace

BuildRow Builds::create_job_build(int64_t job_id, const json& plan,
                                  const std::vector<BuildInput>& inputs) {
  BuildRow out;
  db_.transaction([&](Connection& c) {
    auto j = c.exec(
        "UPDATE jobs SET next_build_number = next_build_number + 1 FROM pipelines p "
        "WHERE jobs.id = $1 AND p.id = jobs.pipeline_id "
        "RETURNING jobs.next_build_number - 1, p.id, p.team_id",
        {sql::num(job_id)});
    if (j.empty())
      throw Error(CC_E_NOT_FOUND, "job " + std::to_string(job_id) + " not found");
    auto id = c.exec(
                   "INSERT INTO builds (name, job_id, pipeline_id, team_id, plan, create_time) "
                   "VALUES ($1, $2, $3, $4, $5::jsonb, $6) RETURNING id",
                   {j.get(0, 0), sql::num(job_id), j.get(0, 1), j.get(0, 2), plan.dump(),
                    sql::num(sql::unix_now())})
                  .get_int(0, 0);
    for (const auto& in : inputs) {
      c.exec(
          "INSERT INTO build_inputs (build_id, resource_id, name, version) "
          "VALUES ($1, $2, $3, $4::jsonb)",
          {sql::num(id), sql::num(in.resource_id), in.name, in.version.dump()});
    }
    out = reread(c, id);
  });
  return out;
}

BuildRow Builds::create_one_off(const std::string& team, const json& plan) {
  BuildRow out;
  db_.transaction([&](Connection& c) {
    auto t = c.exec("SELECT id FROM teams WHERE name = $1", {team});
    if (t.empty())
      throw Error(CC_E_NOT_FOUND, "team '" + team + "' not found");
    auto id = c.exec(
                   "INSERT INTO builds (team_id, one_off, plan, create_time) "
                   "VALUES ($1, true, $2::jsonb, $3) RETURNING id",
                   {t.get(0, 0), plan.dump(), sql::num(sql::unix_now())})
                  .get_int(0, 0);
    c.exec("UPDATE builds SET name = id::text WHERE id = $1", {sql::num(id)});
    out = reread(c, id);
  });
  return out;
}

std::optional<BuildRow> Builds::get(int64_t id) {
  return first(db_.exec(std::string(kBuildSelect) + "WHERE b.id = $1", {sql::num(id)}));
}

std::optional<BuildRow> Builds::job_build(int64_t job_id, const std::string& name) {
  return first(db_.exec(std::string(kBuildSelect) + "WHERE b.job_id = $1 AND b.name = $2",
                        {sql::num(job_id), name}));
}

std::vector<BuildRow> Builds::list(const BuildFilter& f) {
  std::string where =
      "WHERE ($1::text[] IS NULL OR t.name = ANY($1::text[]) OR ($2 AND p.public)) "
      "AND ($3::bigint IS NULL OR b.pipeline_id = $3) AND ($4::bigint IS NULL OR b.job_id = $4) "
      "AND ($5::bigint IS NULL OR b.id < $5) AND ($6::bigint IS NULL OR b.id > $6) ";
  Param teams = f.teams.empty() ? Param() : Param(sql::text_array(f.teams));
  // Paging forward (since) takes the oldest builds after the cursor, shown newest first.
  std::string order = f.since_id ? "ORDER BY b.id ASC" : "ORDER BY b.id DESC";
  auto rows = decode_builds(
      db_.exec(std::string(kBuildSelect) + where + order + " LIMIT $7",
               {teams, sql::boolean(f.include_public_pipelines), sql::nullable(f.pipeline_id),
                sql::nullable(f.job_id), sql::nullable(f.before_id), sql::nullable(f.since_id),
                sql::num(f.limit)}));
  if (f.since_id)
    std::reverse(rows.begin(), rows.end());
  return rows;
}

std::optional<BuildRow> Builds::latest_of_job(int64_t job_id, bool finished_only) {
  return first(db_.exec(std::string(kBuildSelect) +
                            "WHERE b.job_id = $1 AND (NOT $2 OR b.completed) "
                            "ORDER BY b.id DESC LIMIT 1",
                        {sql::num(job_id), sql::boolean(finished_only)}));
}

std::vector<BuildInput> Builds::inputs(int64_t build_id) {
  auto r = db_.exec(
      "SELECT name, resource_id, version FROM build_inputs WHERE build_id = $1 ORDER BY name",
      {sql::num(build_id)});
  std::vector<BuildInput> out;
  for (size_t i = 0; i < r.size(); ++i)
    out.push_back({r.get(i, 0), r.get_int(i, 1), json::parse(r.get(i, 2))});
  return out;
}

void Builds::start(int64_t id, const std::string& web_node) {
  db_.exec(
      "UPDATE builds SET status = 'started', start_time = $2, web_node = $3 "
      "WHERE id = $1 AND status = 'pending'",
      {sql::num(id), sql::num(sql::unix_now()), web_node});
}

void Builds::finish(int64_t id, const std::string& status) {
  db_.exec(
      "UPDATE builds SET status = $2, end_time = $3, completed = true "
      "WHERE id = $1 AND NOT completed",
      {sql::num(id), status, sql::num(sql::unix_now())});
}

bool Builds::request_abort(int64_t id) {
  bool found = false;
  db_.transaction([&](Connection& c) {
    auto r =
        c.exec("UPDATE builds SET aborted = true WHERE id = $1 RETURNING status", {sql::num(id)});
    found = !r.empty();
    if (found && r.get(0, 0) == "pending") {
      c.exec("UPDATE builds SET status = 'aborted', completed = true, end_time = $2 WHERE id = $1",
             {sql::num(id), sql::num(sql::unix_now())});
      c.exec(kAppendEvent, {sql::num(id), "status",
                            json{{"status", "aborted"}, {"time", sql::unix_now()}}.dump()});
    }
  });
  return found;
}

int64_t Builds::append_event(int64_t build_id, const std::string& type, const json& payload) {
  return db_.exec(kAppendEvent, {sql::num(build_id), type, payload.dump()}).get_int(0, 0);
}

std::vector<BuildEvent> Builds::events_after(int64_t build_id, int64_t after, int limit) {
  auto r = db_.exec(
      "SELECT event_id, type, payload FROM build_events WHERE build_id = $1 AND event_id > $2 "
      "ORDER BY event_id LIMIT $3",
      {sql::num(build_id), sql::num(after), sql::num(limit)});
  std::vector<BuildEvent> out;
  for (size_t i = 0; i < r.size(); ++i)
    out.push_back({r.get_int(i, 0), r.get(i, 1), json::parse(r.get(i, 2))});
  return out;
}

std::vector<int64_t> Builds::error_lost_builds(const std::string& web_node,
                                               const std::string& message) {
  std::vector<int64_t> ids;
  db_.transaction([&](Connection& c) {
    ids.clear();
    auto r = c.exec(
        "UPDATE builds SET status = 'errored', completed = true, end_time = $2 "
        "WHERE NOT completed AND status = 'started' AND web_node = $1 RETURNING id",
        {web_node, sql::num(sql::unix_now())});
    for (size_t i = 0; i < r.size(); ++i) {
      auto id = r.get(i, 0);
      ids.push_back(r.get_int(i, 0));
      int64_t now = sql::unix_now();
      c.exec(kAppendEvent, {id, "error", json{{"message", message}, {"time", now}}.dump()});
      c.exec(kAppendEvent, {id, "status", json{{"status", "errored"}, {"time", now}}.dump()});
    }
    c.exec("UPDATE builds SET claimed_by = '' WHERE status = 'pending' AND claimed_by = $1",
           {web_node});
  });
  return ids;
}

void Builds::release_claims(const std::string& web_node) {
  db_.exec("UPDATE builds SET claimed_by = '' WHERE status = 'pending' AND claimed_by = $1",
           {web_node});
}

size_t Builds::retain_logs(int64_t job_id, int keep) {
  auto r = db_.exec(
      "WITH old AS (SELECT id FROM builds WHERE job_id = $1 AND completed "
      "ORDER BY id DESC OFFSET $2) "
      "DELETE FROM build_events WHERE build_id IN (SELECT id FROM old) RETURNING build_id",
      {sql::num(job_id), sql::num(keep)});
  std::vector<std::string> distinct;
  for (size_t i = 0; i < r.size(); ++i) {
    if (std::find(distinct.begin(), distinct.end(), r.get(i, 0)) == distinct.end())
      distinct.push_back(r.get(i, 0));
  }
  return distinct.size();
}

}  // namespace concourse::atc::db
