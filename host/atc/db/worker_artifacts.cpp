#include "atc/db/worker_artifacts.hpp"

#include <concourse/status.h>

#include "atc/db/sql.hpp"
#include "core/error.hpp"

namespace concourse::atc::db {
namespace {

constexpr const char* kColumns =
    "a.id, a.name, t.name, a.worker_name, a.volume_handle, COALESCE(a.build_id, 0), "
    "a.created_at FROM worker_artifacts a JOIN teams t ON t.id = a.team_id";

std::vector<WorkerArtifactRow> decode(const Rows& r) {
  std::vector<WorkerArtifactRow> out;
  for (size_t i = 0; i < r.size(); ++i) {
    out.push_back({r.get_int(i, 0), r.get(i, 1), r.get(i, 2), r.get(i, 3), r.get(i, 4),
                   r.get_int(i, 5), r.get_int(i, 6)});
  }
  return out;
}

}  // namespace

WorkerArtifactRow WorkerArtifacts::add(WorkerArtifactRow row, int64_t now) {
  row.created_at = now;
  auto r = db_.exec(
      "INSERT INTO worker_artifacts (name, team_id, worker_name, volume_handle, build_id, "
      "created_at) SELECT $1, t.id, w.name, $4, NULLIF($5::bigint, 0), $6 FROM teams t, workers w "
      "WHERE t.name = $2 AND w.name = $3 RETURNING id",
      {row.name, row.team, row.worker, row.volume, sql::num(row.build_id), sql::num(now)});
  if (r.empty())
    throw core::Error(CC_E_INVALID, "artifact: team '" + row.team + "' or worker '" + row.worker +
                                        "' does not exist");
  row.id = r.get_int(0, 0);
  return row;
}

std::optional<WorkerArtifactRow> WorkerArtifacts::get(int64_t id) {
  auto rows =
      decode(db_.exec(std::string("SELECT ") + kColumns + " WHERE a.id = $1", {sql::num(id)}));
  if (rows.empty())
    return std::nullopt;
  return rows.front();
}

std::vector<WorkerArtifactRow> WorkerArtifacts::for_build(int64_t build_id) {
  return decode(db_.exec(std::string("SELECT ") + kColumns + " WHERE a.build_id = $1 ORDER BY a.id",
                         {sql::num(build_id)}));
}

std::vector<std::string> WorkerArtifacts::expire(int64_t before) {
  auto r = db_.exec("DELETE FROM worker_artifacts WHERE created_at < $1 RETURNING volume_handle",
                    {sql::num(before)});
  std::vector<std::string> out;
  for (size_t i = 0; i < r.size(); ++i)
    out.push_back(r.get(i, 0));
  return out;
}

}  // namespace concourse::atc::db
