// Builds: listing, one build, its plan, aborting, one-off builds, and the event stream as
// server-sent events (stored events first, then live ones as the build service stores them).
#include <ostream>

#include "atc/api/build_preparation.hpp"
#include "atc/api/build_service.hpp"
#include "atc/api/ci_json.hpp"
#include "atc/api/worker_artifacts.hpp"
#include "atc/auth/authenticator.hpp"

namespace concourse::atc::api {
namespace {

using nlohmann::json;

// Readers of builds running on another web node are not notified in-process; they re-read at
// this interval. Readers of this node's builds wake on every stored event.
constexpr std::chrono::milliseconds kCrossNodeWait{1000};

db::BuildRow build_for_read(Context& ctx, const Request& req) {
  auto b = db::Builds(*ctx.db).get(id_param(req, "build_id"));
  if (!b)
    throw HttpError::message(404, "build not found");
  if (can_read_team(req, b->team))
    return *b;
  if (b->pipeline_id) {
    auto p = db::Pipelines(*ctx.db).get_by_id(*b->pipeline_id);
    if (p && p->is_public)
      return *b;
  }
  if (!req.claims)
    throw HttpError::message(401, "not authorized");
  throw HttpError::message(403, "forbidden");
}

Response list_builds(Context& ctx, const Request& req) {
  db::BuildFilter f;
  f.include_public_pipelines = true;
  if (!req.claims || !auth::is_admin_or_system(*req.claims)) {
    f.teams = req.claims ? req.claims->teams : std::vector<std::string>{};
    // An empty team list would mean "every team" to the repository.
    if (f.teams.empty())
      f.teams = {""};
  }
  if (auto limit = req.query_value("limit"); !limit.empty())
    f.limit = std::max(1, std::atoi(limit.c_str()));
  if (auto until = req.query_value("until"); !until.empty())
    f.before_id = std::atoll(until.c_str());
  if (auto since = req.query_value("since"); !since.empty())
    f.since_id = std::atoll(since.c_str());
  json out = json::array();
  for (const auto& b : db::Builds(*ctx.db).list(f))
    out.push_back(build_json(b));
  return Response::json(200, out);
}

Response abort_build(Context& ctx, const Request& req) {
  auto b = build_for_read(ctx, req);
  require_team(require_auth(req), b.team);
  db::Builds(*ctx.db).request_abort(b.id);
  ctx.builds->abort(b.id);
  ctx.builds->hub().notify();
  return Response::empty(204);
}

Response create_one_off(Context& ctx, const Request& req) {
  require_team(require_auth(req), req.param("team"));
  auto plan = parse_json_body(req);
  if (!plan.is_object())
    throw HttpError::message(400, "the build plan must be a JSON object");
  resolve_artifact_inputs(*ctx.db, plan, req.param("team"));
  if (!ctx.builds->can_run())
    throw HttpError::message(503, "this web node cannot run builds: no build engine");
  auto build = db::Builds(*ctx.db).create_one_off(req.param("team"), plan);
  ctx.builds->run(build, 0);
  return Response::json(201, build_json(build));
}

int64_t last_event_id(const Request& req) {
  std::string v = req.header("last-event-id");
  if (v.empty())
    return -1;
  try {
    return std::stoll(v);
  } catch (const std::exception&) {
    return -1;
  }
}

// Writes everything stored after `last`; true when it wrote something.
bool write_stored(db::Builds& builds, int64_t id, int64_t& last, std::ostream& out) {
  auto events = builds.events_after(id, last);
  for (const auto& e : events) {
    out << sse_event(e);
    last = e.event_id;
  }
  if (!events.empty())
    out.flush();
  if (!out)
    throw std::runtime_error("event stream client went away");
  return !events.empty();
}

void stream_events(Context& ctx, int64_t id, int64_t last, std::ostream& out) {
  db::Builds builds(*ctx.db);
  EventHub& hub = ctx.builds->hub();
  for (;;) {
    uint64_t seen = hub.generation();
    if (write_stored(builds, id, last, out))
      continue;
    auto b = builds.get(id);
    if (!b || b->completed) {
      // The final events may have landed between the read above and this check.
      while (write_stored(builds, id, last, out)) {
      }
      out << "event: end\ndata\n\n";
      out.flush();
      return;
    }
    if (!hub.wait(seen, kCrossNodeWait))
      return;  // shutting down: the client reconnects with Last-Event-ID
  }
}

Response events(Context& ctx, const Request& req) {
  auto b = build_for_read(ctx, req);
  Response resp;
  resp.status = 200;
  resp.content_type = "text/event-stream; charset=utf-8";
  resp.headers.emplace_back("X-Accel-Buffering", "no");
  int64_t last = last_event_id(req);
  resp.stream = [&ctx, id = b.id, last](std::ostream& out) { stream_events(ctx, id, last, out); };
  return resp;
}

}  // namespace

void add_build_routes(Router& r, Context& ctx) {
  r.add("GET", "/api/v1/builds", [&ctx](Request& req) { return list_builds(ctx, req); });
  r.add("GET", "/api/v1/builds/:build_id",
        [&ctx](Request& req) { return Response::json(200, build_json(build_for_read(ctx, req))); });
  r.add("GET", "/api/v1/builds/:build_id/plan", [&ctx](Request& req) {
    auto b = build_for_read(ctx, req);
    return Response::json(200, json{{"schema", "exec.v2"}, {"plan", b.plan}});
  });
  r.add("GET", "/api/v1/builds/:build_id/preparation", [&ctx](Request& req) {
    return Response::json(200, build_preparation(*ctx.db, build_for_read(ctx, req)));
  });
  r.add("PUT", "/api/v1/builds/:build_id/abort",
        [&ctx](Request& req) { return abort_build(ctx, req); });
  r.add("POST", "/api/v1/teams/:team/builds",
        [&ctx](Request& req) { return create_one_off(ctx, req); });
}

void add_event_routes(Router& r, Context& ctx) {
  r.add("GET", "/api/v1/builds/:build_id/events",
        [&ctx](Request& req) { return events(ctx, req); });
}

}  // namespace concourse::atc::api
