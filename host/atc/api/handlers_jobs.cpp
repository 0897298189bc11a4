// Jobs of a pipeline: list, get, pause, their builds, and manual triggering, which plans the job
// with the scheduler's input selection and runs the build (or queues it, see trigger).
#include "atc/api/build_service.hpp"
#include "atc/api/ci_json.hpp"
#include "atc/config/parse.hpp"
#include "atc/scheduler/inputs.hpp"
#include "atc/scheduler/scheduler.hpp"
#include "atc/scheduler/wakeup.hpp"
#include "core/error.hpp"

namespace concourse::atc::api {
namespace {

using nlohmann::json;

json job_with_builds(Context& ctx, const db::JobRow& j) {
  db::Builds builds(*ctx.db);
  auto latest = builds.latest_of_job(j.id, false);
  std::optional<db::BuildRow> next;
  if (latest && !latest->completed)
    next = latest;
  return job_json(j, next, builds.latest_of_job(j.id, true));
}

Response list_jobs(Context& ctx, const Request& req) {
  auto p = pipeline_for_read(ctx, req);
  json out = json::array();
  for (const auto& j : db::Pipelines(*ctx.db).jobs(p.id))
    out.push_back(job_with_builds(ctx, j));
  return Response::json(200, out);
}

Response trigger(Context& ctx, const Request& req) {
  auto p = pipeline_for_write(ctx, req);
  auto j = job_of(ctx, p, req.param("job"));
  if (j.config.value("disable_manual_trigger", false))
    throw HttpError::message(409, "manual triggering is disabled for this job");
  BuildService& service = *ctx.builds;
  if (!service.can_plan() || !service.can_run())
    throw HttpError::message(503, "this web node cannot run builds: no build engine");
  auto pipeline = config::pipeline_from_json(p.config);
  const config::Job* job = pipeline.find_job(j.name);
  if (job == nullptr)
    throw HttpError::message(404, "job not found in the pipeline's config");
  // The scheduler's input selection; without versions yet the build waits, pending, for the
  // scheduler to settle its inputs once checks find them.
  auto set = scheduler::select_inputs(*ctx.db, p.id, j.id, j.config);
  if (!set.ready) {
    auto build = scheduler::create_undetermined_build(*ctx.db, j.id, set.waiting);
    scheduler::schedule_signal().notify();
    return Response::json(200, build_json(build));
  }
  std::map<std::string, json> versions;
  for (const auto& in : set.inputs)
    versions[in.name] = in.version;
  json plan = service.plan(pipeline, *job, versions);
  auto build = db::Builds(*ctx.db).create_job_build(j.id, plan, set.inputs);
  // Started here when serial/max_in_flight allow, else queued for the scheduler.
  if (scheduler::job_has_room(*ctx.db, j) && scheduler::claim_build(*ctx.db, build.id, "api"))
    service.run(build, scheduler::log_retention(j.config));
  else
    scheduler::schedule_signal().notify();
  return Response::json(200, build_json(build));
}

Response job_builds(Context& ctx, const Request& req) {
  auto p = pipeline_for_read(ctx, req);
  auto j = job_of(ctx, p, req.param("job"));
  db::BuildFilter f;
  f.job_id = j.id;
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

Response job_build(Context& ctx, const Request& req) {
  auto p = pipeline_for_read(ctx, req);
  auto j = job_of(ctx, p, req.param("job"));
  auto b = db::Builds(*ctx.db).job_build(j.id, req.param("build"));
  if (!b)
    throw HttpError::message(404, "build not found");
  return Response::json(200, build_json(*b));
}

Handler pauser(Context& ctx, bool paused) {
  return [&ctx, paused](Request& req) {
    auto p = pipeline_for_write(ctx, req);
    auto j = job_of(ctx, p, req.param("job"));
    db::Pipelines(*ctx.db).set_job_paused(j.id, paused);
    return Response::empty(200);
  };
}

}  // namespace

void add_job_routes(Router& r, Context& ctx) {
  const std::string base = "/api/v1/teams/:team/pipelines/:pipeline/jobs";
  r.add("GET", base, [&ctx](Request& req) { return list_jobs(ctx, req); });
  r.add("GET", base + "/:job", [&ctx](Request& req) {
    auto p = pipeline_for_read(ctx, req);
    return Response::json(200, job_with_builds(ctx, job_of(ctx, p, req.param("job"))));
  });
  r.add("POST", base + "/:job/builds", [&ctx](Request& req) { return trigger(ctx, req); });
  r.add("GET", base + "/:job/builds", [&ctx](Request& req) { return job_builds(ctx, req); });
  r.add("GET", base + "/:job/builds/:build", [&ctx](Request& req) { return job_build(ctx, req); });
  r.add("PUT", base + "/:job/pause", pauser(ctx, true));
  r.add("PUT", base + "/:job/unpause", pauser(ctx, false));
}

}  // namespace concourse::atc::api
