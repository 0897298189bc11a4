// The per-worker cache of resource type images (declared in workers.hpp).
#include <filesystem>

#include "context.hpp"
#include "workers.hpp"

namespace concourse::atc::engine {

const nlohmann::json* worker_resource_type(const WorkerTarget& w, const std::string& type) {
  if (!w.resource_types.is_array())
    return nullptr;
  for (const auto& rt : w.resource_types) {
    if (rt.is_object() && rt.value("type", "") == type)
      return &rt;
  }
  return nullptr;
}

Volume ImageCache::base_volume(const WorkerTarget& w, const std::string& type) {
  const auto* rt = worker_resource_type(w, type);
  if (rt == nullptr)
    throw StepError("worker " + w.name + " has no resource type '" + type + "'");
  std::string image = rt->value("image", "");
  BaggageclaimClient bc(w.baggageclaim_url);
  // raw://<path>: the worker installed the type into a volume (<volumes>/live/<handle>/volume)
  // and advertises its path; use it as the base as it is. An upgrade advertises a new path.
  if (image.rfind("raw://", 0) == 0) {
    std::filesystem::path p(image.substr(6));
    if (auto v = bc.lookup(p.parent_path().filename().string()); v && v->path == p.string())
      return *v;
    throw StepError("worker " + w.name + " no longer has the volume of resource type '" + type +
                    "' (" + image + ")");
  }
  std::string key = w.name + "/" + type + "/" + rt->value("version", "") + "/" + image;
  std::lock_guard lock(mu_);
  if (auto it = volumes_.find(key); it != volumes_.end()) {
    if (auto v = bc.lookup(it->second))
      return *v;
    volumes_.erase(it);  // the worker lost it (restart, GC): import again
  }
  Volume v = bc.create(random_handle(), {{"type", "import"}, {"path", image}},
                       {{"concourse:resource-type", type}}, rt->value("privileged", false));
  volumes_[key] = v.handle;
  return v;
}

}  // namespace concourse::atc::engine
