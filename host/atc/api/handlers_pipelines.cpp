// Pipelines: list, get, destroy, pause/expose/rename/order, and the config endpoints fly's
// set-pipeline and get-pipeline speak (YAML or JSON in, Concourse's JSON form out, optimistic
// concurrency through X-Concourse-Config-Version).
#include <algorithm>

#include "atc/api/ci_json.hpp"
#include "atc/auth/authenticator.hpp"
#include "atc/config/parse.hpp"
#include "atc/config/validate.hpp"
#include "core/error.hpp"

namespace concourse::atc::api {
namespace {

using nlohmann::json;

constexpr const char* kConfigVersionHeader = "X-Concourse-Config-Version";

json pipelines_json(const std::vector<db::PipelineRow>& rows) {
  json out = json::array();
  for (const auto& p : rows)
    out.push_back(pipeline_json(p));
  return out;
}

Response list_all(Context& ctx, const Request& req) {
  db::Pipelines pipelines(*ctx.db);
  if (req.claims && auth::is_admin_or_system(*req.claims))
    return Response::json(200, pipelines_json(pipelines.list()));
  std::vector<std::string> teams = req.claims ? req.claims->teams : std::vector<std::string>{};
  return Response::json(200, pipelines_json(pipelines.list_public_or_of(teams)));
}

Response list_team(Context& ctx, const Request& req) {
  auto rows = db::Pipelines(*ctx.db).list(req.param("team"));
  if (!can_read_team(req, req.param("team")))
    std::erase_if(rows, [](const db::PipelineRow& p) { return !p.is_public; });
  return Response::json(200, pipelines_json(rows));
}

bool accepted_content_type(const std::string& content_type) {
  std::string base = content_type.substr(0, content_type.find(';'));
  return base == "application/json" || base == "application/x-yaml" || base == "application/yaml" ||
         base == "text/yaml";
}

std::optional<int64_t> config_version(const Request& req) {
  std::string v = req.header("x-concourse-config-version");
  if (v.empty())
    return std::nullopt;
  try {
    return std::stoll(v);
  } catch (const std::exception&) {
    throw HttpError::message(400, "malformed " + std::string(kConfigVersionHeader) + ": " + v);
  }
}

// Text in, typed and validated config out; 400 {"errors":[...]} for anything wrong with it.
config::Pipeline checked_config(const std::string& body, json& warnings) {
  config::Pipeline pipeline;
  try {
    pipeline = config::parse_pipeline(body);
  } catch (const config::ParseError& e) {
    json errors = json::array();
    for (const auto& err : e.errors())
      errors.push_back(err.to_string());
    throw HttpError{400, json{{"errors", errors}}};
  } catch (const core::Error& e) {
    throw HttpError{400, json{{"errors", json::array({e.what()})}}};
  }
  auto result = config::validate(pipeline);
  if (!result.ok())
    throw HttpError{400, json{{"errors", result.errors}}};
  warnings = json::array();
  for (const auto& w : result.warnings)
    warnings.push_back({{"type", w.type}, {"message", w.message}});
  return pipeline;
}

void specs_from(const json& cfg, std::vector<db::JobSpec>& jobs,
                std::vector<db::ResourceSpec>& resources) {
  for (const auto& j : cfg.value("jobs", json::array()))
    jobs.push_back({j.at("name").get<std::string>(), j});
  for (const auto& r : cfg.value("resources", json::array())) {
    db::ResourceSpec spec{r.at("name").get<std::string>(), r.value("type", ""), r, std::nullopt};
    if (r.contains("version") && r["version"].is_object())
      spec.pinned_version = r["version"];
    resources.push_back(std::move(spec));
  }
}

Response save_config(Context& ctx, const Request& req) {
  require_team(require_auth(req), req.param("team"));
  if (!accepted_content_type(req.content_type))
    throw HttpError::message(415, "unsupported content type: " + req.content_type);
  json warnings;
  json cfg = config::to_json(checked_config(req.body, warnings));
  std::vector<db::JobSpec> jobs;
  std::vector<db::ResourceSpec> resources;
  specs_from(cfg, jobs, resources);
  db::SavedPipeline saved;
  try {
    saved = db::Pipelines(*ctx.db).save(req.param("team"), req.param("pipeline"), cfg,
                                        config_version(req), jobs, resources);
  } catch (const core::Error& e) {
    if (e.code() == CC_E_CONFLICT)
      throw HttpError::message(409, "pipeline config version mismatch: fetch it and try again");
    throw;
  }
  Response resp = Response::json(saved.created ? 201 : 200, json{{"warnings", warnings}});
  resp.headers.emplace_back(kConfigVersionHeader, std::to_string(saved.pipeline.config_version));
  return resp;
}

Response get_config(Context& ctx, const Request& req) {
  auto p = pipeline_for_read(ctx, req);
  Response resp = Response::json(200, json{{"config", p.config}});
  resp.headers.emplace_back(kConfigVersionHeader, std::to_string(p.config_version));
  return resp;
}

using Mutation = bool (db::Pipelines::*)(const std::string&, const std::string&, bool);

Handler flag_setter(Context& ctx, Mutation m, bool value) {
  return [&ctx, m, value](Request& req) {
    auto p = pipeline_for_write(ctx, req);
    db::Pipelines pipelines(*ctx.db);
    (pipelines.*m)(p.team, p.name, value);
    return Response::empty(200);
  };
}

Response rename(Context& ctx, const Request& req) {
  auto p = pipeline_for_write(ctx, req);
  auto body = parse_json_body(req);
  std::string name = body.is_object() ? body.value("name", "") : "";
  if (name.empty())
    throw HttpError::message(400, "missing new name");
  json warnings = json::array();
  if (auto w = config::validate_identifier(name, "pipeline"))
    warnings.push_back({{"type", w->type}, {"message", w->message}});
  try {
    db::Pipelines(*ctx.db).rename(p.team, p.name, name);
  } catch (const core::Error& e) {
    if (e.code() == CC_E_CONFLICT)
      throw HttpError::message(409, "pipeline '" + name + "' already exists");
    throw;
  }
  return Response::json(200, json{{"warnings", warnings}});
}

// Concourse 6 sent a list of names, 7 a list of {"name":..} references; take both.
Response order(Context& ctx, const Request& req) {
  require_team(require_auth(req), req.param("team"));
  auto body = parse_json_body(req);
  if (!body.is_array())
    throw HttpError::message(400, "expected a list of pipelines");
  std::vector<std::string> names;
  for (const auto& e : body) {
    if (e.is_string())
      names.push_back(e.get<std::string>());
    else if (e.is_object() && e.contains("name") && e["name"].is_string())
      names.push_back(e["name"].get<std::string>());
    else
      throw HttpError::message(400, "expected a list of pipeline names");
  }
  db::Pipelines(*ctx.db).order(req.param("team"), names);
  return Response::empty(200);
}

}  // namespace

void add_pipeline_routes(Router& r, Context& ctx) {
  const std::string base = "/api/v1/teams/:team/pipelines";
  r.add("GET", "/api/v1/pipelines", [&ctx](Request& req) { return list_all(ctx, req); });
  r.add("GET", base, [&ctx](Request& req) { return list_team(ctx, req); });
  r.add("PUT", base + "/ordering", [&ctx](Request& req) { return order(ctx, req); });
  r.add("GET", base + "/:pipeline", [&ctx](Request& req) {
    return Response::json(200, pipeline_json(pipeline_for_read(ctx, req)));
  });
  r.add("DELETE", base + "/:pipeline", [&ctx](Request& req) {
    auto p = pipeline_for_write(ctx, req);
    db::Pipelines(*ctx.db).remove(p.team, p.name);
    return Response::empty(204);
  });
  r.add("GET", base + "/:pipeline/config", [&ctx](Request& req) { return get_config(ctx, req); });
  r.add("PUT", base + "/:pipeline/config", [&ctx](Request& req) { return save_config(ctx, req); });
  r.add("PUT", base + "/:pipeline/pause", flag_setter(ctx, &db::Pipelines::set_paused, true));
  r.add("PUT", base + "/:pipeline/unpause", flag_setter(ctx, &db::Pipelines::set_paused, false));
  r.add("PUT", base + "/:pipeline/expose", flag_setter(ctx, &db::Pipelines::set_public, true));
  r.add("PUT", base + "/:pipeline/hide", flag_setter(ctx, &db::Pipelines::set_public, false));
  r.add("PUT", base + "/:pipeline/rename", [&ctx](Request& req) { return rename(ctx, req); });
}

}  // namespace concourse::atc::api
