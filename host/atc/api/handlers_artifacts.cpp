// Containers and volumes: the workers' GC protocol (destroying/report, reference §8.1) and the
// per-team listings fly shows.
#include "atc/api/handlers.hpp"
#include "atc/api/hijack.hpp"
#include "atc/db/artifacts.hpp"
#include "atc/db/teams.hpp"
#include "atc/db/workers.hpp"

namespace concourse::atc::api {
namespace {

using nlohmann::json;

int64_t now_unix() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The worker named by ?worker_name=, which the caller must be allowed to act for. An unknown
// worker is fine for admins and the system: the TSA may report before registering completes.
std::string gc_worker(Context& ctx, const Request& req) {
  const auto& claims = require_auth(req);
  std::string name = req.query_value("worker_name");
  if (name.empty())
    throw HttpError::message(400, "missing worker_name");
  if (auth::is_admin_or_system(claims))
    return name;
  auto w = db::Workers(*ctx.db).get(name);
  if (!w)
    throw HttpError::message(403, "forbidden");
  require_team(claims, w->team);
  return name;
}

Response destroying(Context& ctx, Request& req, db::ArtifactKind kind) {
  std::string worker = gc_worker(ctx, req);
  return Response::json(200, db::Artifacts(*ctx.db, kind).destroying(worker));
}

Response report(Context& ctx, Request& req, db::ArtifactKind kind) {
  std::string worker = gc_worker(ctx, req);
  json body = parse_json_body(req);
  if (!body.is_array() ||
      !std::all_of(body.begin(), body.end(), [](const json& h) { return h.is_string(); }))
    throw HttpError::message(400, "report body must be a JSON array of handles");
  db::Artifacts(*ctx.db, kind).report(worker, body.get<std::vector<std::string>>(), now_unix());
  return Response::empty(204);
}

json container_json(const db::ArtifactRow& a) {
  json j{{"id", a.handle}, {"worker_name", a.worker_name}, {"type", a.type}, {"state", a.state}};
  if (a.build_id != 0)
    j["build_id"] = a.build_id;
  if (!a.team.empty())
    j["team_name"] = a.team;
  return j;
}

json volume_json(const db::ArtifactRow& a) {
  return json{{"id", a.handle},
              {"worker_name", a.worker_name},
              {"type", a.type},
              {"state", a.state},
              {"container_handle", ""},
              {"path", ""},
              {"parent_handle", ""},
              {"resource_type", nullptr},
              {"base_resource_type", nullptr},
              {"pipeline_name", ""},
              {"job_name", ""},
              {"step_name", ""}};
}

Response team_list(Context& ctx, Request& req, db::ArtifactKind kind) {
  std::string team = req.param("team");
  require_team(require_auth(req), team);
  if (kind == db::ArtifactKind::Container && has_container_filters(req))
    return list_build_containers(ctx, req);
  if (!db::Teams(*ctx.db).get(team))
    throw HttpError::message(404, "team '" + team + "' not found");
  json out = json::array();
  for (const auto& a : db::Artifacts(*ctx.db, kind).list_for_team(team))
    out.push_back(kind == db::ArtifactKind::Container ? container_json(a) : volume_json(a));
  return Response::json(200, out);
}

}  // namespace

void add_artifact_routes(Router& r, Context& ctx) {
  for (auto kind : {db::ArtifactKind::Container, db::ArtifactKind::Volume}) {
    std::string plural = kind == db::ArtifactKind::Container ? "containers" : "volumes";
    r.add("GET", "/api/v1/" + plural + "/destroying",
          [&ctx, kind](Request& req) { return destroying(ctx, req, kind); });
    r.add("PUT", "/api/v1/" + plural + "/report",
          [&ctx, kind](Request& req) { return report(ctx, req, kind); });
    r.add("GET", "/api/v1/teams/:team/" + plural,
          [&ctx, kind](Request& req) { return team_list(ctx, req, kind); });
  }
}

}  // namespace concourse::atc::api
