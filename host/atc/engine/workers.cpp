#include "workers.hpp"

#include <algorithm>
#include <filesystem>

#include "context.hpp"

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

namespace {

bool has_tags(const WorkerTarget& w, const std::vector<std::string>& tags) {
  return std::all_of(tags.begin(), tags.end(), [&](const std::string& t) {
    return std::find(w.tags.begin(), w.tags.end(), t) != w.tags.end();
  });
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v)
    out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

// Concourse's placement: team workers serve their team only, global ones everybody; untagged
// steps never land on tagged workers.
WorkerTarget WorkerPool::choose(const std::string& team, const std::vector<std::string>& tags,
                                const std::string& resource_type, const std::string& prefer) {
  auto all = source_.running_workers();
  std::vector<WorkerTarget> fit;
  bool any_type = false;
  for (auto& w : all) {
    if (!w.team.empty() && w.team != team)
      continue;
    if (tags.empty() ? !w.tags.empty() : !has_tags(w, tags))
      continue;
    if (!resource_type.empty() && worker_resource_type(w, resource_type) == nullptr)
      continue;
    any_type = true;
    fit.push_back(std::move(w));
  }
  if (fit.empty()) {
    std::string why = "no workers satisfying: team '" + team + "'";
    if (!tags.empty())
      why += ", tags [" + join(tags) + "]";
    if (!resource_type.empty())
      why += ", resource type '" + resource_type + "'";
    if (!resource_type.empty() && !any_type && all.size() > 0)
      why = "unknown resource type '" + resource_type + "': " + why;
    throw StepError(why);
  }
  for (const auto& w : fit) {
    if (!prefer.empty() && w.name == prefer)
      return w;
  }
  return *std::min_element(fit.begin(), fit.end(), [](const auto& a, const auto& b) {
    return a.active_containers < b.active_containers;
  });
}

WorkerTarget WorkerPool::find(const std::string& name) {
  for (auto& w : source_.running_workers()) {
    if (w.name == name)
      return w;
  }
  throw StepError("worker '" + name + "' is gone");
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
