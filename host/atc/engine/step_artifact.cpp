// fly execute's ends of a one-off build (reference §11.1): artifact_input makes an uploaded
// volume a named artifact of the build, artifact_output keeps a copy of an artifact past the
// build's release and reports it as a "worker-artifact" event, which the API keeps for download
// instead of storing.
#include <sstream>

#include "steps.hpp"
#include "workers.hpp"

namespace concourse::atc::engine {
namespace {

// Copies src's contents into dst on the same worker. Buffered: streaming it through a pipe
// intermittently handed baggageclaim an unreadable tar (not yet understood).
void copy_volume(BaggageclaimClient& bc, const std::string& src, const std::string& dst) {
  std::string tar;
  bc.stream_out(src, ".", [&](const char* d, size_t n) { tar.append(d, n); });
  if (tar.empty())
    throw StepError("copying artifact: the output volume streamed nothing");
  std::istringstream in(tar);
  bc.stream_in(dst, ".", in);
}

}  // namespace

Outcome run_artifact_input(BuildContext& ctx, const std::string& id, const json& body,
                           const Cancel&) {
  std::string name = body.value("name", "");
  std::string worker = body.value("worker", "");
  std::string volume = body.value("volume", "");
  if (name.empty() || worker.empty() || volume.empty())
    throw StepError("artifact input " + id + ": the ATC did not resolve artifact " +
                    body.value("artifact_id", json()).dump());
  auto v = BaggageclaimClient(ctx.workers.find(worker).baggageclaim_url).lookup(volume);
  if (!v)
    throw StepError("artifact " + name + " is gone from worker " + worker);
  ctx.put_artifact(name, {worker, v->handle, v->path});
  return Outcome::kSucceeded;
}

Outcome run_artifact_output(BuildContext& ctx, const std::string& id, const json& body,
                            const Cancel&) {
  std::string name = body.value("name", "");
  auto a = ctx.artifact(name);
  if (!a) {
    // The task failed before producing it; the build's result already says so.
    ctx.log_line(id, "stderr", "output " + name + " was not produced\n");
    return Outcome::kSucceeded;
  }
  BaggageclaimClient bc(ctx.workers.find(a->worker).baggageclaim_url);
  Volume copy = bc.create(random_handle(), {{"type", "empty"}}, {{"concourse:artifact", name}});
  try {
    copy_volume(bc, a->volume, copy.handle);
  } catch (...) {
    bc.destroy(copy.handle);
    throw;
  }
  ctx.emit("worker-artifact", {{"name", name}, {"worker", a->worker}, {"volume", copy.handle}});
  return Outcome::kSucceeded;
}

}  // namespace concourse::atc::engine
