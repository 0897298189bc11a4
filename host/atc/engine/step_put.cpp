// put: push with the build's artifacts mounted under /tmp/build/put/<name> (COW clones, so the
// script cannot change them for later steps); the version it reports feeds the dependent get.
#include "steps.hpp"

namespace concourse::atc::engine {
namespace {

// "all" and "detect" both mount every artifact: detection (scanning params for artifact
// names) only narrows what is streamed, and our artifacts are COW clones on the same worker.
std::map<std::string, Artifact> put_inputs(BuildContext& ctx, const json& put) {
  auto all = ctx.artifacts();
  if (!put.contains("inputs") || put["inputs"].is_string())
    return all;
  std::map<std::string, Artifact> chosen;
  for (const auto& n : put["inputs"]) {
    std::string name = n.get<std::string>();
    auto it = all.find(name);
    if (it == all.end())
      throw StepError("put: missing input '" + name + "'");
    chosen.insert(*it);
  }
  return chosen;
}

}  // namespace

Outcome run_put(BuildContext& ctx, const std::string& id, const json& put, const Cancel& cancel) {
  ResourceCall call;
  call.id = id;
  call.event = "put";
  call.type = put.value("type", "");
  call.source = put.value("source", json::object());
  call.params = put.value("params", json());
  call.tags = put.value("tags", std::vector<std::string>{});
  call.script = "/opt/resource/out";
  call.dir = "/tmp/build/put";
  ctx.emit_origin("initialize-put", id);
  auto inputs = put_inputs(ctx, put);
  std::vector<std::string> input_workers;
  for (const auto& [name, artifact] : inputs)
    input_workers.push_back(artifact.worker);
  auto mounts = [&](const WorkerTarget& w) {
    std::vector<BindMount> out;
    for (const auto& [name, artifact] : inputs)
      out.push_back({artifact_on(ctx, artifact, w).path, call.dir + "/" + name, true});
    return out;
  };
  ResourceResult r = run_resource(ctx, call, cancel, input_workers, mounts);
  if (r.outcome == Outcome::kSucceeded)
    ctx.put_version(id, r.version);
  return r.outcome;
}

}  // namespace concourse::atc::engine
