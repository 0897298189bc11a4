// The step implementations. Each returns how the step ended; a StepError (or any exception)
// escaping a step becomes an "error" event and Outcome::kErrored in run_plan.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "baggageclaim_client.hpp"
#include "context.hpp"
#include "garden_client.hpp"

namespace concourse::atc::engine {

Outcome run_plan(BuildContext& ctx, const json& plan, const Cancel& cancel);

Outcome run_get(BuildContext& ctx, const std::string& id, const json& get, const Cancel& cancel);
Outcome run_put(BuildContext& ctx, const std::string& id, const json& put, const Cancel& cancel);
Outcome run_task(BuildContext& ctx, const std::string& id, const json& task, const Cancel& cancel);
Outcome run_load_var(BuildContext& ctx, const std::string& id, const json& body,
                     const Cancel& cancel);
Outcome run_set_pipeline(BuildContext& ctx, const std::string& id, const json& body,
                         const Cancel& cancel);
Outcome run_across(BuildContext& ctx, const std::string& id, const json& body,
                   const Cancel& cancel);
// fly execute's uploaded inputs and kept outputs (step_artifact.cpp).
Outcome run_artifact_input(BuildContext& ctx, const std::string& id, const json& body,
                           const Cancel& cancel);
Outcome run_artifact_output(BuildContext& ctx, const std::string& id, const json& body,
                            const Cancel& cancel);

// The plan node with the build's local vars substituted when it is a step that does work
// (get, put, task, load_var, set_pipeline, across values); throws StepError naming local vars
// it still needs. Returns plan itself when nothing changes, else storage.
const json& with_local_vars(BuildContext& ctx, const json& plan, json& storage);
// The contents of "<artifact>/<path>" (load_var, set_pipeline files and var_files).
std::string read_step_file(BuildContext& ctx, const std::string& file);

// Go's time.ParseDuration ("1h30m", "500ms", "2.5s"); throws StepError on bad text.
std::chrono::nanoseconds parse_go_duration(const std::string& text);

// What get and put share: a container from the resource type's image running one script.
struct ResourceCall {
  std::string id;     // plan id (event origin)
  std::string event;  // "get" | "put"
  std::string type;
  json source, params, version;
  std::vector<std::string> tags;
  std::string script;  // /opt/resource/in | out
  std::string dir;     // /tmp/build/get | put
};

struct ResourceResult {
  Outcome outcome = Outcome::kErrored;
  json version, metadata;
  WorkerTarget worker;
  Volume output;  // mounted at dir (get: the artifact)
};

// Runs the whole call; `mounts(worker)` adds bind mounts once the worker is known (put inputs).
// input_workers: where the volumes it mounts live, one entry each (for volume-locality).
ResourceResult run_resource(
    BuildContext& ctx, const ResourceCall& call, const Cancel& cancel,
    const std::vector<std::string>& input_workers,
    const std::function<std::vector<BindMount>(const WorkerTarget&)>& mounts);

// A COW clone of an artifact on worker w (copied over when it lives elsewhere).
Volume artifact_on(BuildContext& ctx, const Artifact& a, const WorkerTarget& w);

// Runs a process, streaming its output to log events as it arrives, stopping it on cancel.
ProcessOutcome run_logged(BuildContext& ctx, GardenClient& garden, const std::string& handle,
                          const ProcessSpec& spec, const std::string& plan_id, const Cancel& cancel,
                          const std::string& stdin_data, std::string* stdout_capture);

}  // namespace concourse::atc::engine
