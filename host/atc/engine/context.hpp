// What every step of one build shares: the request, the event sink, cancellation, the
// artifacts produced so far and the containers and volumes to release at the end.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "build_runner.hpp"
#include "core/log.hpp"
#include "local_vars.hpp"
#include "workers.hpp"

namespace concourse::atc::engine {

using nlohmann::json;

enum class Outcome { kSucceeded, kFailed, kErrored, kAborted };

// A step error that already has its message for the build log.
struct StepError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Abort and timeouts: a step stops when the build is aborted or its deadline (the tightest of
// the enclosing timeouts) passes.
struct Cancel {
  const std::atomic<bool>* aborted = nullptr;
  // Set by in_parallel with fail_fast once a sibling failed: stops the rest of the group.
  std::vector<const std::atomic<bool>*> groups;
  std::optional<std::chrono::steady_clock::time_point> deadline;

  bool is_aborted() const { return aborted != nullptr && aborted->load(); }
  bool group_stopped() const {
    for (const auto* g : groups)
      if (g->load())
        return true;
    return false;
  }
  bool timed_out() const { return deadline && std::chrono::steady_clock::now() >= *deadline; }
  bool stop() const { return is_aborted() || group_stopped() || timed_out(); }
};

struct Artifact {
  std::string worker;  // name of the worker holding the volume
  std::string volume;  // handle
  std::string path;    // the volume's path on that worker
};

class PipelineStore;

class BuildContext {
 public:
  BuildContext(const BuildRequest& req, EventSink& sink, WorkerPool& pool, ImageCache& cache,
               const log::Logger& logger)
      : request(req), workers(pool), images(cache), log(logger), events_(sink) {}

  const BuildRequest& request;
  WorkerPool& workers;
  ImageCache& images;
  const log::Logger& log;
  LocalVars locals;                    // load_var's ((.:name)); unrevealed values are redacted
  PipelineStore* pipelines = nullptr;  // where set_pipeline saves; none outside a web node

  void emit(const std::string& type, json data);
  void emit_origin(const std::string& type, const std::string& plan_id, json data = json::object());
  void log_line(const std::string& plan_id, const std::string& source, const std::string& text);
  void error(const std::string& plan_id, const std::string& message);

  void put_artifact(const std::string& name, Artifact a);
  std::optional<Artifact> artifact(const std::string& name);
  std::map<std::string, Artifact> artifacts();

  // The version a put produced, for its dependent get (version_from).
  void put_version(const std::string& plan_id, json version);
  json version_of(const std::string& plan_id);

  // Records the build's ownership (so GC spares it) and schedules the release; call before
  // creating a container, right after creating a volume.
  void track_container(const std::string& worker, const std::string& handle,
                       const std::string& type = "task");
  void track_volume(const std::string& worker, const std::string& handle);
  // A tracked container whose create failed: nothing to destroy, ownership given up.
  void forget_container(const std::string& worker, const std::string& handle);
  // Keeps a created container's room on its worker until release().
  void hold(Slot slot);
  void release();  // destroys every tracked container (then frees their rooms), then volume
  // A job build that did not succeed: its containers and volumes stay, still owned by the
  // build, for `fly intercept` until the job's next build starts (the web node then marks
  // them destroying for the workers' sweeps).
  void keep_for_intercept();

 private:
  OwnedHandle owned(bool container, const std::string& worker, const std::string& handle,
                    const std::string& type) const;
  void record_ownership(const OwnedHandle& h);
  void record_release(const OwnedHandle& h);

  EventSink& events_;
  std::mutex mu_;
  std::map<std::string, Artifact> artifacts_;
  std::map<std::string, json> versions_;
  std::vector<std::pair<std::string, std::string>> containers_, volumes_;
  std::vector<Slot> slots_;
};

int64_t unix_now();
std::string random_handle();

}  // namespace concourse::atc::engine
