// Running a resource type's script (reference §7): the type's image is imported once per
// worker, each container gets a COW clone of it as raw:// rootfs, build metadata is container
// env, and the request goes on stdin with empty params/version left out.
#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>

#include <thread>

#include "container_placement.hpp"
#include "steps.hpp"
#include "workers.hpp"

namespace concourse::atc::engine {
namespace {

std::vector<std::string> build_env(const BuildRequest& r) {
  std::vector<std::string> env;
  auto add = [&](const char* k, const std::string& v) {
    if (!v.empty())
      env.push_back(std::string(k) + "=" + v);
  };
  add("BUILD_ID", r.build_id != 0 ? std::to_string(r.build_id) : "");
  add("BUILD_NAME", r.build_name);
  add("BUILD_TEAM_NAME", r.team);
  add("BUILD_PIPELINE_NAME", r.pipeline);
  add("BUILD_JOB_NAME", r.job);
  add("ATC_EXTERNAL_URL", r.external_url);
  return env;
}

bool empty_json(const json& j) {
  return j.is_null() || (j.is_object() && j.empty());
}

std::string stdin_request(const ResourceCall& call) {
  json req{{"source", call.source.is_null() ? json::object() : call.source}};
  if (!empty_json(call.params))
    req["params"] = call.params;
  if (!empty_json(call.version))
    req["version"] = call.version;
  return req.dump();
}

// The call's container on worker w: a COW clone of the type's image as rootfs and a fresh
// output volume mounted at call.dir, plus what mounts(w) adds.
ContainerSpec resource_container(
    BuildContext& ctx, const ResourceCall& call, const WorkerTarget& w, Volume& output,
    const std::function<std::vector<BindMount>(const WorkerTarget&)>& mounts) {
  BaggageclaimClient bc(w.baggageclaim_url);
  Volume base = ctx.images.base_volume(w, call.type);
  Volume rootfs = bc.create(random_handle(), {{"type", "cow"}, {"volume", base.handle}}, {});
  ctx.track_volume(w.name, rootfs.handle);
  output = bc.create(random_handle(), {{"type", "empty"}}, {});
  ctx.track_volume(w.name, output.handle);
  ContainerSpec spec;
  spec.handle = random_handle();
  spec.rootfs = "raw://" + rootfs.path;
  spec.env = build_env(ctx.request);
  spec.bind_mounts.push_back({output.path, call.dir, true});
  if (mounts) {
    for (auto& m : mounts(w))
      spec.bind_mounts.push_back(std::move(m));
  }
  spec.properties = {{"concourse:build-id", std::to_string(ctx.request.build_id)},
                     {"concourse:plan-id", call.id}};
  return spec;
}

}  // namespace

ProcessOutcome run_logged(BuildContext& ctx, GardenClient& garden, const std::string& handle,
                          const ProcessSpec& spec, const std::string& plan_id, const Cancel& cancel,
                          const std::string& stdin_data, std::string* stdout_capture) {
  ProcessIo io;
  io.stdin_data = stdin_data;
  if (stdout_capture != nullptr)
    io.on_stdout = [stdout_capture](const std::string& s) { *stdout_capture += s; };
  else
    io.on_stdout = [&](const std::string& s) { ctx.log_line(plan_id, "stdout", s); };
  io.on_stderr = [&](const std::string& s) { ctx.log_line(plan_id, "stderr", s); };
  io.should_stop = [&cancel] { return cancel.stop(); };
  return garden.run(handle, spec, io);
}

Volume artifact_on(BuildContext& ctx, const Artifact& a, const WorkerTarget& w) {
  BaggageclaimClient bc(w.baggageclaim_url);
  if (a.worker == w.name) {
    Volume v = bc.create(random_handle(), {{"type", "cow"}, {"volume", a.volume}}, {});
    ctx.track_volume(w.name, v.handle);
    return v;
  }
  // Another worker: stream the artifact across through a pipe, never whole in memory.
  Volume v = bc.create(random_handle(), {{"type", "empty"}}, {});
  ctx.track_volume(w.name, v.handle);
  BaggageclaimClient src(ctx.workers.find(a.worker).baggageclaim_url);
  Poco::Pipe pipe;
  std::string copy_error;
  std::thread producer([&] {
    try {
      Poco::PipeOutputStream out(pipe);
      src.stream_out(a.volume, ".", [&](const char* d, size_t n) {
        out.write(d, static_cast<std::streamsize>(n));
      });
      out.close();
    } catch (const std::exception& e) {
      copy_error = e.what();
      pipe.close(Poco::Pipe::CLOSE_WRITE);
    }
  });
  Poco::PipeInputStream in(pipe);
  try {
    bc.stream_in(v.handle, ".", in);
  } catch (...) {
    pipe.close(Poco::Pipe::CLOSE_READ);
    producer.join();
    throw;
  }
  producer.join();
  if (!copy_error.empty())
    throw StepError("streaming artifact to " + w.name + ": " + copy_error);
  return v;
}

ResourceResult run_resource(
    BuildContext& ctx, const ResourceCall& call, const Cancel& cancel,
    const std::vector<std::string>& input_workers,
    const std::function<std::vector<BindMount>(const WorkerTarget&)>& mounts) {
  ResourceResult result;
  const auto& req = ctx.request;
  PlacementSpec where{req.team, call.tags, call.type, input_workers, false};
  ContainerSpec spec;
  auto placed =
      create_container(ctx, call.id, where, cancel, call.event, [&](const WorkerTarget& w) {
        spec = resource_container(ctx, call, w, result.output, mounts);
        return spec;
      });
  if (!placed) {
    result.outcome = Outcome::kAborted;
    return result;
  }
  result.worker = *placed;
  GardenClient garden(result.worker.garden_addr);

  ctx.emit_origin("start-" + call.event, call.id);
  ProcessSpec proc{"resource", call.script, {call.dir}, {}, "", "", false};
  std::string out;
  ProcessOutcome p =
      run_logged(ctx, garden, spec.handle, proc, call.id, cancel, stdin_request(call), &out);
  if (p.stopped) {
    result.outcome = Outcome::kAborted;
    return result;
  }
  if (!p.exit_status)
    throw StepError("running " + call.script + ": " + p.error);
  if (*p.exit_status != 0) {
    ctx.emit_origin("finish-" + call.event, call.id, {{"exit_status", *p.exit_status}});
    result.outcome = Outcome::kFailed;
    return result;
  }
  json reply = json::parse(out, nullptr, false);
  if (!reply.is_object() || !reply.contains("version") || !reply["version"].is_object())
    throw StepError(call.script + " printed no version: " + out.substr(0, 512));
  result.version = reply["version"];
  result.metadata = reply.value("metadata", json::array());
  ctx.emit_origin("finish-" + call.event, call.id,
                  {{"exit_status", 0}, {"version", result.version}, {"metadata", result.metadata}});
  result.outcome = Outcome::kSucceeded;
  return result;
}

}  // namespace concourse::atc::engine
