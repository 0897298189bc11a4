// Typed Concourse pipeline configuration: what `fly set-pipeline` uploads and the scheduler walks.
// Field names follow Concourse's JSON names. Values that Concourse keeps as free-form JSON
// (`source`, `params`, `vars`) stay nlohmann::json so credential-manager `((vars))` inside them
// survive until run time; durations stay text for the same reason and are checked by validate().
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace concourse::atc::config {

using Json = nlohmann::json;
using StringMap = std::map<std::string, std::string>;

struct ContainerLimits {
  std::optional<uint64_t> cpu;     // CPU shares
  std::optional<uint64_t> memory;  // bytes; "100mb" style text is converted on parse
};

struct ImageResource {
  std::string name;
  std::string type;
  Json source = Json::object();
  Json params;  // null when absent
  std::optional<StringMap> version;
  std::vector<std::string> tags;
};

struct TaskInput {
  std::string name;
  std::string path;  // empty: mounted at <workdir>/<name>
  bool optional = false;
};

struct TaskOutput {
  std::string name;
  std::string path;
};

struct TaskRun {
  std::string path;
  std::vector<std::string> args;
  std::string dir;
  std::string user;
};

struct TaskConfig {
  std::string platform;
  std::optional<ImageResource> image_resource;
  std::string rootfs_uri;
  std::vector<TaskInput> inputs;
  std::vector<TaskOutput> outputs;
  std::vector<std::string> caches;  // cache paths
  StringMap params;                 // environment; values coerced to strings on parse
  TaskRun run;
  std::optional<ContainerLimits> container_limits;

  // Concourse's task validation: messages without a path prefix; empty means valid.
  std::vector<std::string> validate() const;
};

// A nullable, deep-copying owner: lets Step hold nested steps (hooks, `try`) by value semantics.
template <class T>
class Box {
 public:
  Box() = default;
  explicit Box(T value) : ptr_(std::make_unique<T>(std::move(value))) {}
  Box(const Box& other) : ptr_(other.ptr_ ? std::make_unique<T>(*other.ptr_) : nullptr) {}
  Box& operator=(const Box& other) {
    if (this != &other)
      ptr_ = other.ptr_ ? std::make_unique<T>(*other.ptr_) : nullptr;
    return *this;
  }
  Box(Box&&) noexcept = default;
  Box& operator=(Box&&) noexcept = default;
  ~Box() = default;

  explicit operator bool() const { return ptr_ != nullptr; }
  T* get() const { return ptr_.get(); }
  T& operator*() const { return *ptr_; }
  T* operator->() const { return ptr_.get(); }

 private:
  std::unique_ptr<T> ptr_;
};

struct Step;
using StepPtr = Box<Step>;

struct VersionConfig {
  enum class Mode { kLatest, kEvery, kPinned };
  Mode mode = Mode::kLatest;
  StringMap pinned;
};

struct GetStep {
  std::string name;      // the `get:` value, also the artifact name
  std::string resource;  // empty: same as name
  std::optional<VersionConfig> version;
  Json params;
  std::vector<std::string> passed;  // job names or globs
  bool trigger = false;
  const std::string& resource_name() const { return resource.empty() ? name : resource; }
};

struct PutInputs {
  enum class Mode { kAll, kDetect, kSpecified };
  Mode mode = Mode::kAll;
  std::vector<std::string> names;
};

struct PutStep {
  std::string name;
  std::string resource;
  Json params;
  std::optional<PutInputs> inputs;
  Json get_params;
  bool no_get = false;
  const std::string& resource_name() const { return resource.empty() ? name : resource; }
};

struct TaskStep {
  std::string name;
  std::string file;
  std::optional<TaskConfig> config;  // wins over `file` when both are given
  bool privileged = false;
  bool hermetic = false;
  Json params;
  Json vars;
  StringMap input_mapping;
  StringMap output_mapping;
  std::string image;  // artifact name
  std::optional<ContainerLimits> container_limits;
};

struct SetPipelineStep {
  std::string name;  // pipeline name, or "self"
  std::string file;
  Json vars;
  std::vector<std::string> var_files;
  std::string team;
  Json instance_vars;
};

struct LoadVarStep {
  std::string name;
  std::string file;
  std::string format;  // "", json, yaml, yml, trim, raw
  bool reveal = false;
};

// The `run:` step of the experimental prototypes feature.
struct RunStep {
  std::string message;
  std::string type;  // prototype name
  Json params;
  bool privileged = false;
};

struct InParallelStep {
  std::vector<Step> steps;
  int limit = 0;  // 0: unlimited
  bool fail_fast = false;
};

struct DoStep {
  std::vector<Step> steps;
};

struct TryStep {
  StepPtr step;
};

struct AcrossVar {
  std::string var;
  Json values;                // a list, or a `((var))` resolved at run time
  std::string max_in_flight;  // "" (1), "all" or a number as text
};

struct Across {
  std::vector<AcrossVar> vars;
  bool fail_fast = false;
};

using CoreStep = std::variant<GetStep, PutStep, TaskStep, SetPipelineStep, LoadVarStep, RunStep,
                              InParallelStep, DoStep, TryStep>;

// One plan entry: a core step plus the modifiers Concourse wraps around it. The wrapping order
// is fixed (outermost first): ensure, on_error, on_abort, on_failure, on_success, across,
// attempts, timeout, core.
struct Step {
  CoreStep core;
  std::vector<std::string> tags;
  std::string timeout;  // Go duration text, empty: none
  std::optional<int> attempts;
  std::optional<Across> across;
  StepPtr on_success, on_failure, on_error, on_abort, ensure;

  // The core key ("get", "task", "in_parallel", ...).
  const char* type() const;
  template <class T>
  const T* as() const {
    return std::get_if<T>(&core);
  }
};

struct BuildLogRetention {
  int builds = 0;
  int days = 0;
  int minimum_succeeded_builds = 0;
};

struct Job {
  std::string name;
  std::string old_name;
  std::vector<Step> plan;
  bool serial = false;
  std::vector<std::string> serial_groups;
  std::optional<int> max_in_flight;
  bool is_public = false;
  bool interruptible = false;
  bool disable_manual_trigger = false;
  std::optional<BuildLogRetention> build_log_retention;
  int build_logs_to_retain = 0;
  StepPtr on_success, on_failure, on_error, on_abort, ensure;

  // 1 for serial jobs (serial or serial_groups), else max_in_flight, else 0 (unlimited).
  int effective_max_in_flight() const;
};

struct Resource {
  std::string name;
  std::string old_name;
  std::string type;
  Json source = Json::object();
  std::string check_every;    // duration text or "never"; empty: the ATC default
  std::string check_timeout;  // duration text; empty: the ATC default
  std::vector<std::string> tags;
  std::optional<StringMap> version;  // pinned version
  std::string icon;
  bool is_public = false;
  std::string webhook_token;
  bool expose_build_created_by = false;
};

struct ResourceType {
  std::string name;
  std::string type;
  Json source = Json::object();
  Json defaults;
  bool privileged = false;
  std::string check_every;
  std::vector<std::string> tags;
  Json params;
};

struct Group {
  std::string name;
  std::vector<std::string> jobs;  // names or globs
  std::vector<std::string> resources;
};

struct VarSource {
  std::string name;
  std::string type;
  Json config;
};

struct Display {
  std::string background_image;
  std::string background_filter;
};

struct Pipeline {
  std::vector<Resource> resources;
  std::vector<ResourceType> resource_types;
  std::vector<ResourceType> prototypes;
  std::vector<Job> jobs;
  std::vector<Group> groups;
  std::vector<VarSource> var_sources;
  std::optional<Display> display;

  const Resource* find_resource(const std::string& name) const;
  const Job* find_job(const std::string& name) const;
};

}  // namespace concourse::atc::config
