// Containers and volumes per worker, and the report/destroying protocol of Concourse's
// container and volume repositories (reference §8.1).
#include "atc/db/artifacts.hpp"

#include <concourse/status.h>

#include "atc/db/sql.hpp"
#include "core/error.hpp"

namespace concourse::atc::db {
namespace {

using core::Error;

// The two kinds share one schema; only the table differs, and it is never caller input.
struct Sql {
  std::string upsert, get, by_team, by_worker, set_state, destroying;
  std::string insert_unknown, clear_missing, mark_missing, confirm_destroyed;
  std::string uninterceptible;
};

Sql make_sql(const std::string& t) {
  const std::string cols =
      "handle, worker_name, state, (SELECT tm.name FROM teams tm WHERE tm.id = team_id), "
      "COALESCE(build_id, 0), type, missing_since";
  Sql s;
  s.upsert = "INSERT INTO " + t +
             " (handle, worker_name, state, team_id, build_id, type, missing_since) VALUES ($1, "
             "$2, $3, (SELECT id FROM teams WHERE name = $4), NULLIF($5::bigint, 0), $6, "
             "$7::bigint) ON CONFLICT (handle) DO UPDATE SET worker_name = EXCLUDED.worker_name, "
             "state = EXCLUDED.state, team_id = EXCLUDED.team_id, build_id = EXCLUDED.build_id, "
             "type = EXCLUDED.type, missing_since = EXCLUDED.missing_since";
  s.get = "SELECT " + cols + " FROM " + t + " WHERE handle = $1";
  s.by_team = "SELECT " + cols + " FROM " + t +
              " WHERE team_id = (SELECT id FROM teams WHERE name = $1) ORDER BY handle";
  s.by_worker = "SELECT " + cols + " FROM " + t + " WHERE worker_name = $1 ORDER BY handle";
  s.set_state = "UPDATE " + t + " SET state = $2 WHERE handle = $1";
  s.destroying = "SELECT handle FROM " + t +
                 " WHERE worker_name = $1 AND state = 'destroying' ORDER BY handle";
  s.insert_unknown = "INSERT INTO " + t +
                     " (handle, worker_name, state) SELECT h, $1, 'destroying' FROM "
                     "unnest($2::text[]) AS h ON CONFLICT (handle) DO NOTHING";
  s.clear_missing = "UPDATE " + t +
                    " SET missing_since = NULL WHERE worker_name = $1 AND handle = ANY($2::text[]) "
                    "AND missing_since IS NOT NULL";
  // Only the first miss is stamped: the grace period runs from when it went missing.
  s.mark_missing = "UPDATE " + t +
                   " SET missing_since = $3::bigint WHERE worker_name = $1 AND NOT (handle = "
                   "ANY($2::text[])) AND state <> 'creating' AND missing_since IS NULL";
  s.confirm_destroyed = "DELETE FROM " + t +
                        " WHERE worker_name = $1 AND state = 'destroying' AND NOT (handle = "
                        "ANY($2::text[]))";
  // A build row deleted with its pipeline leaves build_id NULL on a row typed by a step; rows
  // of other owners (type '' from a worker's report, check containers) are not touched, nor
  // fly execute's artifacts, which expire on their own (api/worker_artifacts.cpp).
  s.uninterceptible =
      "UPDATE " + t +
      " a SET state = 'destroying' WHERE a.state = 'created' AND ("
      "(a.build_id IS NULL AND a.type IN ('get', 'put', 'task', 'container')) OR "
      "(a.type <> 'artifact' AND a.build_id IN (SELECT b.id FROM builds b WHERE b.completed "
      "AND ($1::bigint IS NULL OR b.job_id = $1::bigint) AND (b.job_id IS NULL "
      "OR b.status = 'succeeded' OR EXISTS (SELECT 1 FROM builds n WHERE n.job_id = b.job_id "
      "AND n.id > b.id AND n.status <> 'pending')))))";
  return s;
}

const Sql& sql_for(ArtifactKind kind) {
  static const Sql containers = make_sql("containers");
  static const Sql volumes = make_sql("volumes");
  return kind == ArtifactKind::Container ? containers : volumes;
}

std::vector<ArtifactRow> decode(const Rows& r) {
  std::vector<ArtifactRow> out;
  for (size_t i = 0; i < r.size(); ++i) {
    ArtifactRow a;
    a.handle = r.get(i, 0);
    a.worker_name = r.get(i, 1);
    a.state = r.get(i, 2);
    a.team = r.get(i, 3);
    a.build_id = r.get_int(i, 4);
    a.type = r.get(i, 5);
    a.missing_since = sql::opt_int(r, i, 6);
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace

void Artifacts::save(const ArtifactRow& row) {
  if (row.handle.empty() || row.worker_name.empty())
    throw Error(CC_E_INVALID, "artifact: handle and worker_name are required");
  const Sql& s = sql_for(kind_);
  db_.transaction([&](Connection& c) {
    if (!row.team.empty() && c.exec("SELECT 1 FROM teams WHERE name = $1", {row.team}).empty())
      throw Error(CC_E_INVALID,
                  "artifact " + row.handle + ": team " + row.team + " does not exist");
    c.exec(s.upsert, {row.handle, row.worker_name, row.state.empty() ? "creating" : row.state,
                      sql::nullable(row.team), sql::num(row.build_id), row.type,
                      sql::nullable(row.missing_since)});
  });
}

std::optional<ArtifactRow> Artifacts::get(const std::string& handle) {
  auto rows = decode(db_.exec(sql_for(kind_).get, {handle}));
  if (rows.empty())
    return std::nullopt;
  return rows.front();
}

std::vector<ArtifactRow> Artifacts::list_for_team(const std::string& team) {
  return decode(db_.exec(sql_for(kind_).by_team, {team}));
}

std::vector<ArtifactRow> Artifacts::list_for_worker(const std::string& worker) {
  return decode(db_.exec(sql_for(kind_).by_worker, {worker}));
}

bool Artifacts::set_state(const std::string& handle, const std::string& state) {
  return db_.exec(sql_for(kind_).set_state, {handle, state}).affected() > 0;
}

std::vector<std::string> Artifacts::destroying(const std::string& worker) {
  auto r = db_.exec(sql_for(kind_).destroying, {worker});
  std::vector<std::string> out;
  for (size_t i = 0; i < r.size(); ++i)
    out.push_back(r.get(i, 0));
  return out;
}

void Artifacts::report(const std::string& worker, const std::vector<std::string>& handles,
                       int64_t now) {
  const Sql& s = sql_for(kind_);
  std::vector<Param> args{worker, sql::text_array(handles)};
  db_.transaction([&](Connection& c) {
    // Deleting before inserting keeps a just-inserted unknown handle alive until the worker
    // confirms its destruction by leaving it out of a later report.
    c.exec(s.confirm_destroyed, args);
    c.exec(s.insert_unknown, args);
    c.exec(s.clear_missing, args);
    c.exec(s.mark_missing, {worker, sql::text_array(handles), sql::num(now)});
  });
}

size_t Artifacts::release_uninterceptible(std::optional<int64_t> job_id) {
  return db_.exec(sql_for(kind_).uninterceptible, {sql::nullable(job_id)}).affected();
}

}  // namespace concourse::atc::db
