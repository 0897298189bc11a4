// get: fetch one version of a resource into a fresh volume, which becomes the artifact named
// after the step.
#include "steps.hpp"

namespace concourse::atc::engine {

Outcome run_get(BuildContext& ctx, const std::string& id, const json& get, const Cancel& cancel) {
  ResourceCall call;
  call.id = id;
  call.event = "get";
  call.type = get.value("type", "");
  call.source = get.value("source", json::object());
  call.params = get.value("params", json());
  call.version = get.value("version", json());
  if (get.contains("version_from"))
    call.version = ctx.version_of(get["version_from"].get<std::string>());
  call.tags = get.value("tags", std::vector<std::string>{});
  call.script = "/opt/resource/in";
  call.dir = "/tmp/build/get";
  std::string name = get.value("name", get.value("resource", ""));
  ctx.emit_origin("initialize-get", id);
  if (call.type.empty())
    throw StepError("get " + name + ": no resource type");
  ResourceResult r = run_resource(ctx, call, cancel, {}, nullptr);
  if (r.outcome == Outcome::kSucceeded)
    ctx.put_artifact(name, {r.worker.name, r.output.handle, r.output.path});
  return r.outcome;
}

}  // namespace concourse::atc::engine
