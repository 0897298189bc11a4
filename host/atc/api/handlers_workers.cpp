// /api/v1/workers: registration, heartbeats and the lifecycle verbs (reference §2.2).
#include "atc/api/handlers.hpp"
#include "atc/api/worker_json.hpp"
#include "atc/db/workers.hpp"
#include "core/error.hpp"

namespace concourse::atc::api {
namespace {

using nlohmann::json;

// The stored worker the caller may act on: 404 when gone, 403 when another team's.
db::WorkerRow owned_worker(Context& ctx, const Request& req) {
  const auto& claims = require_auth(req);
  auto w = db::Workers(*ctx.db).get(req.param("name"));
  if (!w)
    throw HttpError::message(404, "worker '" + req.param("name") + "' not found");
  require_team(claims, w->team);
  return *w;
}

Response list(Context& ctx, Request& req) {
  const auto& claims = require_auth(req);
  json out = json::array();
  for (const auto& w : db::Workers(*ctx.db).list()) {
    if (w.team.empty() || auth::can_act_on_team(claims, w.team))
      out.push_back(worker_to_json(w));
  }
  return Response::json(200, out);
}

Response register_worker(Context& ctx, Request& req) {
  const auto& claims = require_auth(req);
  auto ttl = parse_ttl(req.query_value("ttl"));
  db::WorkerRow w = worker_from_json(parse_json_body(req));
  validate_registration(w);
  require_team(claims, w.team);
  if (w.name.empty())
    w.name = w.addr;
  try {
    auto saved = db::Workers(*ctx.db).save(std::move(w), ttl);
    ctx.log.debug("worker-registered", {{"worker", saved.name}, {"team", saved.team}});
  } catch (const core::Error& e) {
    if (e.code() == CC_E_INVALID || e.code() == CC_E_CONFLICT)
      throw HttpError::message(e.code() == CC_E_INVALID ? 400 : 409, e.what());
    throw;
  }
  return Response::empty(200);
}

Response heartbeat(Context& ctx, Request& req) {
  auto stored = owned_worker(ctx, req);
  auto ttl = parse_ttl(req.query_value("ttl"));
  int64_t containers = stored.active_containers, volumes = stored.active_volumes;
  if (req.body.find_first_not_of(" \t\r\n") != std::string::npos) {
    auto body = worker_from_json(parse_json_body(req));
    containers = body.active_containers;
    volumes = body.active_volumes;
  }
  auto w = db::Workers(*ctx.db).heartbeat(stored.name, ttl, containers, volumes);
  if (!w)
    throw HttpError::message(404, "worker '" + stored.name + "' not found");
  return Response::json(200, worker_to_json(*w));
}

Response transition(Context& ctx, Request& req, bool (db::Workers::*verb)(const std::string&)) {
  auto stored = owned_worker(ctx, req);
  db::Workers workers(*ctx.db);
  if (!(workers.*verb)(stored.name))
    throw HttpError::message(404, "worker '" + stored.name + "' not found");
  return Response::empty(200);
}

Response prune(Context& ctx, Request& req) {
  auto stored = owned_worker(ctx, req);
  try {
    if (!db::Workers(*ctx.db).prune(stored.name))
      throw HttpError::message(404, "worker '" + stored.name + "' not found");
  } catch (const core::Error& e) {
    if (e.code() == CC_E_CONFLICT)
      throw HttpError{400, json{{"stderr", "cannot prune running worker"}}};
    throw;
  }
  return Response::empty(200);
}

}  // namespace

void add_worker_routes(Router& r, Context& ctx) {
  r.add("GET", "/api/v1/workers", [&ctx](Request& req) { return list(ctx, req); });
  r.add("POST", "/api/v1/workers", [&ctx](Request& req) { return register_worker(ctx, req); });
  r.add("PUT", "/api/v1/workers/:name/heartbeat",
        [&ctx](Request& req) { return heartbeat(ctx, req); });
  r.add("PUT", "/api/v1/workers/:name/land",
        [&ctx](Request& req) { return transition(ctx, req, &db::Workers::land); });
  r.add("PUT", "/api/v1/workers/:name/retire",
        [&ctx](Request& req) { return transition(ctx, req, &db::Workers::retire); });
  r.add("PUT", "/api/v1/workers/:name/prune", [&ctx](Request& req) { return prune(ctx, req); });
  r.add("DELETE", "/api/v1/workers/:name",
        [&ctx](Request& req) { return transition(ctx, req, &db::Workers::remove); });
}

}  // namespace concourse::atc::api
