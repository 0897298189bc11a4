// /api/v1/teams: list, create or update (local users as owners), destroy.
#include <algorithm>

#include "atc/api/handlers.hpp"
#include "atc/db/teams.hpp"
#include "core/error.hpp"

namespace concourse::atc::api {
namespace {

using nlohmann::json;

json team_json(const db::Team& t) {
  json users = json::array();
  for (const auto& u : t.local_users)
    users.push_back("local:" + u);
  return json{{"id", t.id},
              {"name", t.name},
              {"auth", {{"owner", {{"users", users}, {"groups", json::array()}}}}}};
}

std::vector<std::string> string_list(const json& j, const std::string& what) {
  if (j.is_null())
    return {};
  if (!j.is_array() ||
      !std::all_of(j.begin(), j.end(), [](const json& e) { return e.is_string(); }))
    throw HttpError::message(400, what + " must be an array of strings");
  return j.get<std::vector<std::string>>();
}

// {"auth":{"owner":{"users":["local:NAME"],"groups":[]}}}: only local users and the owner
// role exist here, so anything else is refused rather than silently dropped.
std::vector<std::string> owners_from_body(const json& body) {
  if (!body.is_object() || !body.contains("auth") || !body["auth"].is_object())
    throw HttpError::message(400, "missing auth configuration");
  std::vector<std::string> users;
  for (const auto& [role, cfg] : body["auth"].items()) {
    if (!cfg.is_object())
      throw HttpError::message(400, "auth." + role + " must be an object");
    auto role_users = string_list(cfg.value("users", json()), "auth." + role + ".users");
    auto groups = string_list(cfg.value("groups", json()), "auth." + role + ".groups");
    if (role != "owner" && !(role_users.empty() && groups.empty()))
      throw HttpError::message(400, "role '" + role + "' is not supported: only owner");
    if (!groups.empty())
      throw HttpError::message(400, "groups are not supported: only local users");
    for (auto& u : role_users) {
      if (u.rfind("local:", 0) == 0)
        u.erase(0, 6);
      else if (u.find(':') != std::string::npos)
        throw HttpError::message(400, "user '" + u + "' is not a local user");
      if (u.empty())
        throw HttpError::message(400, "empty user name");
      users.push_back(u);
    }
  }
  if (users.empty())
    throw HttpError::message(400, "team must have at least one owner");
  return users;
}

Response list(Context& ctx, Request& req) {
  const auto& claims = require_auth(req);
  json out = json::array();
  for (const auto& t : db::Teams(*ctx.db).list()) {
    if (auth::can_act_on_team(claims, t.name))
      out.push_back(team_json(t));
  }
  return Response::json(200, out);
}

Response save(Context& ctx, Request& req) {
  const auto& claims = require_auth(req);
  std::string name = req.param("team");
  db::Teams teams(*ctx.db);
  bool exists = teams.get(name).has_value();
  if (exists)
    require_team(claims, name);
  else
    require_admin(claims);
  auto users = owners_from_body(parse_json_body(req));
  auto team = teams.save(name, users);
  ctx.log.info("team-saved", {{"team", name}, {"created", exists ? "false" : "true"}});
  return Response::json(exists ? 200 : 201, team_json(team));
}

Response destroy(Context& ctx, Request& req) {
  require_admin(require_auth(req));
  std::string name = req.param("team");
  if (name == auth::kMainTeam)
    throw HttpError::message(403, "cannot delete the main team");
  try {
    if (!db::Teams(*ctx.db).remove(name))
      throw HttpError::message(404, "team '" + name + "' not found");
  } catch (const core::Error& e) {
    throw from_core_error(e.code(), e.what());
  }
  ctx.log.info("team-destroyed", {{"team", name}});
  return Response::empty(204);
}

}  // namespace

void add_team_routes(Router& r, Context& ctx) {
  r.add("GET", "/api/v1/teams", [&ctx](Request& req) { return list(ctx, req); });
  r.add("PUT", "/api/v1/teams/:team", [&ctx](Request& req) { return save(ctx, req); });
  r.add("DELETE", "/api/v1/teams/:team", [&ctx](Request& req) { return destroy(ctx, req); });
}

}  // namespace concourse::atc::api
