// task: one process in a container with its inputs, outputs and params (reference §11.2).
// Inputs are COW clones of artifacts and outputs fresh volumes, all bind-mounted under the
// working directory /tmp/build/<first 8 hex digits of sha256(task name)>.
//
// Without an image the container has no rootfs: houdini then runs the process on the host in
// the container's own directory, and roots both `dir` and every bind-mount destination at that
// directory (mounts become symlinks there). So the same absolute paths work in both modes; only
// absolute paths the task's own script uses resolve on the host, which a relative path avoids.
#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>

#include "atc/config/parse.hpp"
#include "container_placement.hpp"
#include "steps.hpp"
#include "task_config.hpp"
#include "workers.hpp"

namespace concourse::atc::engine {
namespace {

std::string work_dir(const std::string& task_name) {
  Poco::SHA2Engine sha(Poco::SHA2Engine::SHA_256);
  sha.update(task_name);
  return "/tmp/build/" + Poco::DigestEngine::digestToHex(sha.digest()).substr(0, 8);
}

std::string mapped(const json& task, const char* key, const std::string& name) {
  if (task.contains(key) && task[key].is_object() && task[key].contains(name))
    return task[key][name].get<std::string>();
  return name;
}

struct Image {
  std::string rootfs;  // "" = none
  std::vector<std::string> env;
  std::string user;
};

// An image artifact holds rootfs/ and metadata.json {"env":[...],"user":".."} (§7).
Image image_from_artifact(BuildContext& ctx, const Artifact& a, const WorkerTarget& w,
                          const std::string& what) {
  std::string meta_text;
  try {
    meta_text = read_artifact_file(ctx, a, "metadata.json");
  } catch (const StepError&) {
    throw StepError(what +
                    " is not an image: it has no metadata.json and rootfs/ (a resource type "
                    "producing images, such as registry-image, is needed; mock with "
                    "mirror_self makes one)");
  }
  json meta = json::parse(meta_text, nullptr, false);
  Image img;
  img.rootfs = "raw://" + artifact_on(ctx, a, w).path + "/rootfs";
  if (meta.is_object()) {
    img.env = meta.value("env", std::vector<std::string>{});
    img.user = meta.value("user", "");
  }
  return img;
}

// image_resource: fetched with a get of its own (origin "<id>/image"), then used as an image.
std::optional<Outcome> fetch_image_resource(BuildContext& ctx, const std::string& id,
                                            const config::ImageResource& ir,
                                            const std::string& artifact, const Cancel& cancel) {
  json get{{"name", artifact}, {"type", ir.type}, {"source", ir.source}};
  if (!ir.params.is_null())
    get["params"] = ir.params;
  if (ir.version)
    get["version"] = *ir.version;
  if (!ir.tags.empty())
    get["tags"] = ir.tags;
  Outcome o = run_get(ctx, id + "/image", get, cancel);
  return o == Outcome::kSucceeded ? std::nullopt : std::optional(o);
}

Image choose_image(BuildContext& ctx, const json& task, const config::TaskConfig& cfg,
                   const WorkerTarget& w) {
  if (task.contains("image") && task["image"].is_string()) {
    auto a = ctx.artifact(task["image"]);
    if (!a)
      throw StepError("image artifact '" + task["image"].get<std::string>() + "' not found");
    return image_from_artifact(ctx, *a, w, "artifact '" + task["image"].get<std::string>() + "'");
  }
  if (!cfg.rootfs_uri.empty()) {
    if (cfg.rootfs_uri.rfind("raw://", 0) != 0)
      throw StepError("rootfs_uri " + cfg.rootfs_uri + ": only raw:// is supported");
    return Image{cfg.rootfs_uri, {}, ""};
  }
  return {};  // run_task says so in the log
}

std::vector<BindMount> task_mounts(BuildContext& ctx, const json& task,
                                   const config::TaskConfig& cfg, const WorkerTarget& w,
                                   const std::string& dir, std::vector<Volume>& outputs) {
  std::vector<BindMount> mounts;
  std::vector<std::string> missing;
  for (const auto& in : cfg.inputs) {
    auto a = ctx.artifact(mapped(task, "input_mapping", in.name));
    if (!a) {
      if (!in.optional)
        missing.push_back(in.name);
      continue;
    }
    mounts.push_back(
        {artifact_on(ctx, *a, w).path, dir + "/" + (in.path.empty() ? in.name : in.path), true});
  }
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing)
      list += (list.empty() ? "" : ", ") + m;
    throw StepError("missing inputs: " + list);
  }
  BaggageclaimClient bc(w.baggageclaim_url);
  for (const auto& out : cfg.outputs) {
    Volume v = bc.create(random_handle(), {{"type", "empty"}}, {});
    ctx.track_volume(w.name, v.handle);
    outputs.push_back(v);
    mounts.push_back({v.path, dir + "/" + (out.path.empty() ? out.name : out.path), true});
  }
  return mounts;
}

void register_outputs(BuildContext& ctx, const json& task, const config::TaskConfig& cfg,
                      const WorkerTarget& w, const std::vector<Volume>& outputs) {
  for (size_t i = 0; i < cfg.outputs.size() && i < outputs.size(); ++i) {
    ctx.put_artifact(mapped(task, "output_mapping", cfg.outputs[i].name),
                     {w.name, outputs[i].handle, outputs[i].path});
  }
}

// Where the task's input volumes (and its image artifact) live, one entry each.
std::vector<std::string> input_workers(BuildContext& ctx, const json& task,
                                       const config::TaskConfig& cfg, const std::string& id) {
  std::vector<std::string> out;
  for (const auto& in : cfg.inputs) {
    if (auto a = ctx.artifact(mapped(task, "input_mapping", in.name)))
      out.push_back(a->worker);
  }
  std::string image = task.contains("image") && task["image"].is_string()
                          ? task["image"].get<std::string>()
                          : "image:" + id;
  if (auto a = ctx.artifact(image))
    out.push_back(a->worker);
  return out;
}

// The task's container on worker w: its image, params, and its inputs and outputs mounted
// under the working directory.
ContainerSpec task_container(BuildContext& ctx, const std::string& id, const json& task,
                             const config::TaskConfig& cfg, const WorkerTarget& w, Image& image,
                             std::vector<Volume>& outputs) {
  if (cfg.image_resource && !task.contains("image"))
    image = image_from_artifact(ctx, *ctx.artifact("image:" + id), w, "image_resource");
  else
    image = choose_image(ctx, task, cfg, w);
  std::string name = task.value("name", "task");
  std::string dir = work_dir(name);
  ContainerSpec spec;
  spec.handle = random_handle();
  spec.rootfs = image.rootfs;
  spec.env = image.env;
  if (!ctx.request.external_url.empty())
    spec.env.push_back("ATC_EXTERNAL_URL=" + ctx.request.external_url);
  for (const auto& [k, v] : cfg.params)
    spec.env.push_back(k + "=" + v);
  outputs.clear();
  spec.bind_mounts = task_mounts(ctx, task, cfg, w, dir, outputs);
  spec.privileged = task.value("privileged", false);
  // Read back by `fly hijack` to find the step's container and where to start its process.
  spec.properties = {{"concourse:build-id", std::to_string(ctx.request.build_id)},
                     {"concourse:plan-id", id},
                     {"concourse:step-name", name},
                     {"concourse:type", "task"},
                     {"concourse:working-directory", dir},
                     {"concourse:user", cfg.run.user.empty() ? image.user : cfg.run.user}};
  return spec;
}

}  // namespace

Outcome run_task(BuildContext& ctx, const std::string& id, const json& task, const Cancel& cancel) {
  std::string name = task.value("name", "task");
  config::TaskConfig cfg = load_task_config(ctx, task);
  ctx.emit_origin("initialize-task", id, {{"config", config::to_json(cfg)}});
  if (cfg.image_resource && !task.contains("image")) {
    if (auto failed = fetch_image_resource(ctx, id, *cfg.image_resource, "image:" + id, cancel))
      return *failed;
  }
  PlacementSpec where{ctx.request.team, task.value("tags", std::vector<std::string>{}), "",
                      input_workers(ctx, task, cfg, id), true};
  Image image;
  std::vector<Volume> outputs;
  ContainerSpec spec;
  auto placed = create_container(ctx, id, where, cancel, "task", [&](const WorkerTarget& w) {
    spec = task_container(ctx, id, task, cfg, w, image, outputs);
    return spec;
  });
  if (!placed)
    return Outcome::kAborted;
  const WorkerTarget& w = *placed;
  if (image.rootfs.empty())
    ctx.log_line(id, "stderr",
                 "no image given: running without a rootfs, on the worker's host in the "
                 "container's directory\n");
  GardenClient garden(w.garden_addr);
  std::string dir = work_dir(name);

  ProcessSpec proc;
  proc.id = "task";
  proc.path = cfg.run.path;
  proc.args = cfg.run.args;
  proc.dir =
      cfg.run.dir.empty() ? dir : (cfg.run.dir[0] == '/' ? cfg.run.dir : dir + "/" + cfg.run.dir);
  proc.user = cfg.run.user.empty() ? image.user : cfg.run.user;
  ctx.emit_origin("start-task", id);
  ProcessOutcome p = run_logged(ctx, garden, spec.handle, proc, id, cancel, "", nullptr);
  if (p.stopped)
    return Outcome::kAborted;
  if (!p.exit_status)
    throw StepError("running " + cfg.run.path + ": " + p.error);
  ctx.emit_origin("finish-task", id, {{"exit_status", *p.exit_status}});
  if (*p.exit_status != 0)
    return Outcome::kFailed;
  register_outputs(ctx, task, cfg, w, outputs);
  return Outcome::kSucceeded;
}

}  // namespace concourse::atc::engine
