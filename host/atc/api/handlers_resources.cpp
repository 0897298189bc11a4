// Resources: list, get, versions (enable/disable), pins with comments, and check requests. A
// check request is queued in resource_check_requests for the checker to run; this API does not
// run checks itself.
#include "atc/api/ci_json.hpp"
#include "atc/scheduler/wakeup.hpp"

namespace concourse::atc::api {
namespace {

using nlohmann::json;

db::ResourceRow resource_of(Context& ctx, const db::PipelineRow& p, const Request& req) {
  auto r = db::Resources(*ctx.db).get(p.id, req.param("resource"));
  if (!r)
    throw HttpError::message(404, "resource not found");
  return *r;
}

Response list_resources(Context& ctx, const Request& req) {
  auto p = pipeline_for_read(ctx, req);
  json out = json::array();
  for (const auto& r : db::Resources(*ctx.db).list(p.id))
    out.push_back(resource_json(r));
  return Response::json(200, out);
}

Response list_versions(Context& ctx, const Request& req) {
  auto p = pipeline_for_read(ctx, req);
  auto r = resource_of(ctx, p, req);
  int limit = 100;
  if (auto l = req.query_value("limit"); !l.empty())
    limit = std::max(1, std::atoi(l.c_str()));
  json out = json::array();
  for (const auto& v : db::Resources(*ctx.db).versions(r.id, limit))
    out.push_back(version_json(v));
  return Response::json(200, out);
}

Handler version_toggle(Context& ctx, bool enabled) {
  return [&ctx, enabled](Request& req) {
    auto p = pipeline_for_write(ctx, req);
    auto r = resource_of(ctx, p, req);
    if (!db::Resources(*ctx.db).set_version_enabled(r.id, id_param(req, "version_id"), enabled))
      throw HttpError::message(404, "version not found");
    return Response::empty(200);
  };
}

Response pin(Context& ctx, const Request& req) {
  auto p = pipeline_for_write(ctx, req);
  auto r = resource_of(ctx, p, req);
  if (r.pinned_in_config)
    throw HttpError::message(409, "resource is pinned in the pipeline config");
  if (!db::Resources(*ctx.db).pin(r.id, id_param(req, "version_id")))
    throw HttpError::message(404, "version not found");
  return Response::empty(200);
}

Response unpin(Context& ctx, const Request& req) {
  auto p = pipeline_for_write(ctx, req);
  auto r = resource_of(ctx, p, req);
  if (r.pinned_in_config)
    throw HttpError::message(409, "resource is pinned in the pipeline config");
  if (!db::Resources(*ctx.db).unpin(r.id))
    throw HttpError::message(404, "resource is not pinned");
  return Response::empty(200);
}

Response pin_comment(Context& ctx, const Request& req) {
  auto p = pipeline_for_write(ctx, req);
  auto r = resource_of(ctx, p, req);
  auto body = parse_json_body(req);
  if (!body.is_object() || !body.contains("pin_comment") || !body["pin_comment"].is_string())
    throw HttpError::message(400, "expected {\"pin_comment\": \"...\"}");
  if (!db::Resources(*ctx.db).set_pin_comment(r.id, body["pin_comment"].get<std::string>()))
    throw HttpError::message(404, "resource is not pinned");
  return Response::empty(200);
}

// Answers like Concourse (201 with a build-shaped body) but the "build" is the queued request:
// its status stays "pending" until the checker takes it.
Response check(Context& ctx, const Request& req) {
  auto p = pipeline_for_write(ctx, req);
  auto r = resource_of(ctx, p, req);
  json from;
  if (!req.body.empty()) {
    auto body = parse_json_body(req);
    if (body.is_object() && body.contains("from"))
      from = body["from"];
  }
  int64_t id = db::Resources(*ctx.db).request_check(r.id, from);
  scheduler::check_signal().notify();
  return Response::json(201, json{{"id", id},
                                  {"team_name", p.team},
                                  {"name", std::to_string(id)},
                                  {"status", "pending"},
                                  {"pipeline_name", p.name},
                                  {"resource_name", r.name}});
}

// No auth: the token in the query is the credential, compared with the resource's
// webhook_token (401 when it differs or the resource has none).
Response webhook(Context& ctx, const Request& req) {
  auto p = db::Pipelines(*ctx.db).get(req.param("team"), req.param("pipeline"));
  if (!p)
    throw HttpError::message(404, "pipeline not found");
  auto r = resource_of(ctx, *p, req);
  std::string token = r.config.value("webhook_token", "");
  if (token.empty() || req.query_value("webhook_token") != token)
    throw HttpError::message(401, "invalid webhook token");
  int64_t id = db::Resources(*ctx.db).request_check(r.id, json());
  scheduler::check_signal().notify();
  return Response::json(201, json{{"id", id}, {"status", "pending"}, {"resource_name", r.name}});
}

}  // namespace

void add_resource_routes(Router& r, Context& ctx) {
  const std::string base = "/api/v1/teams/:team/pipelines/:pipeline/resources";
  r.add("GET", base, [&ctx](Request& req) { return list_resources(ctx, req); });
  r.add("GET", base + "/:resource", [&ctx](Request& req) {
    auto p = pipeline_for_read(ctx, req);
    return Response::json(200, resource_json(resource_of(ctx, p, req)));
  });
  r.add("GET", base + "/:resource/versions",
        [&ctx](Request& req) { return list_versions(ctx, req); });
  r.add("PUT", base + "/:resource/versions/:version_id/enable", version_toggle(ctx, true));
  r.add("PUT", base + "/:resource/versions/:version_id/disable", version_toggle(ctx, false));
  r.add("PUT", base + "/:resource/versions/:version_id/pin",
        [&ctx](Request& req) { return pin(ctx, req); });
  r.add("PUT", base + "/:resource/unpin", [&ctx](Request& req) { return unpin(ctx, req); });
  r.add("PUT", base + "/:resource/pin_comment",
        [&ctx](Request& req) { return pin_comment(ctx, req); });
  r.add("POST", base + "/:resource/check", [&ctx](Request& req) { return check(ctx, req); });
  r.add("POST", base + "/:resource/check/webhook",
        [&ctx](Request& req) { return webhook(ctx, req); });
}

}  // namespace concourse::atc::api
