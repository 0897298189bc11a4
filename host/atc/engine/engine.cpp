#include "engine.hpp"

#include "steps.hpp"
#include "workers.hpp"

namespace concourse::atc::engine {
namespace {

const char* status_name(Outcome o) {
  switch (o) {
    case Outcome::kSucceeded:
      return "succeeded";
    case Outcome::kFailed:
      return "failed";
    case Outcome::kAborted:
      return "aborted";
    case Outcome::kErrored:
      break;
  }
  return "errored";
}

}  // namespace

Engine::Engine(WorkerSource& workers, log::Logger log, PipelineStore* pipelines,
               const PlacementOptions& placement)
    : workers_(std::make_unique<WorkerPool>(workers, placement)),
      images_(std::make_unique<ImageCache>()),
      pipelines_(pipelines),
      log_(std::move(log)) {}

Engine::~Engine() = default;

std::string Engine::run(const BuildRequest& request, EventSink& events,
                        const std::atomic<bool>& aborted) {
  log::Logger log = log_.child({{"build_id", std::to_string(request.build_id)}});
  BuildContext ctx(request, events, *workers_, *images_, log);
  ctx.pipelines = pipelines_;
  Outcome outcome = Outcome::kErrored;
  try {
    ctx.emit("status", {{"status", "started"}, {"time", unix_now()}});
    Cancel cancel;
    cancel.aborted = &aborted;
    outcome = run_plan(ctx, request.plan, cancel);
  } catch (const std::exception& e) {
    log.error("build-failed", {{"error", e.what()}});
    outcome = Outcome::kErrored;
  }
  if (aborted.load())
    outcome = Outcome::kAborted;
  try {
    if (outcome != Outcome::kSucceeded && !request.job.empty())
      ctx.keep_for_intercept();
    else
      ctx.release();
  } catch (const std::exception& e) {
    log.warn("release-failed", {{"error", e.what()}});
  }
  const char* status = status_name(outcome);
  log.info("build-finished", {{"status", status}});
  try {
    ctx.emit("status", {{"status", status}, {"time", unix_now()}});
  } catch (const std::exception& e) {
    log.error("emit-status-failed", {{"error", e.what()}});
  }
  return status;
}

}  // namespace concourse::atc::engine
