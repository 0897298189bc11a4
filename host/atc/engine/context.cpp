#include "context.hpp"

#include <Poco/UUIDGenerator.h>

#include <algorithm>

#include "baggageclaim_client.hpp"
#include "garden_client.hpp"
#include "workers.hpp"

namespace concourse::atc::engine {

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string random_handle() {
  return Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
}

void BuildContext::emit(const std::string& type, json data) {
  events_.emit(type, data);
}

void BuildContext::emit_origin(const std::string& type, const std::string& plan_id, json data) {
  data["origin"] = {{"id", plan_id}};
  data["time"] = unix_now();
  events_.emit(type, data);
}

void BuildContext::log_line(const std::string& plan_id, const std::string& source,
                            const std::string& text) {
  events_.emit("log", {{"time", unix_now()},
                       {"origin", {{"id", plan_id}, {"source", source}}},
                       {"payload", locals.redact(text)}});
}

void BuildContext::error(const std::string& plan_id, const std::string& message) {
  events_.emit("error",
               {{"origin", {{"id", plan_id}}}, {"message", message}, {"time", unix_now()}});
}

void BuildContext::put_artifact(const std::string& name, Artifact a) {
  std::lock_guard lock(mu_);
  artifacts_[name] = std::move(a);
}

std::optional<Artifact> BuildContext::artifact(const std::string& name) {
  std::lock_guard lock(mu_);
  auto it = artifacts_.find(name);
  return it == artifacts_.end() ? std::nullopt : std::optional(it->second);
}

std::map<std::string, Artifact> BuildContext::artifacts() {
  std::lock_guard lock(mu_);
  return artifacts_;
}

void BuildContext::put_version(const std::string& plan_id, json version) {
  std::lock_guard lock(mu_);
  versions_[plan_id] = std::move(version);
}

json BuildContext::version_of(const std::string& plan_id) {
  std::lock_guard lock(mu_);
  auto it = versions_.find(plan_id);
  return it == versions_.end() ? json() : it->second;
}

OwnedHandle BuildContext::owned(bool container, const std::string& worker,
                                const std::string& handle, const std::string& type) const {
  return OwnedHandle{container, worker, handle, request.team, type, request.build_id};
}

void BuildContext::track_container(const std::string& worker, const std::string& handle,
                                   const std::string& type) {
  record_ownership(owned(true, worker, handle, type));
  std::lock_guard lock(mu_);
  containers_.emplace_back(worker, handle);
}

void BuildContext::track_volume(const std::string& worker, const std::string& handle) {
  record_ownership(owned(false, worker, handle, "container"));
  workers.volume_created(worker);
  std::lock_guard lock(mu_);
  volumes_.emplace_back(worker, handle);
}

void BuildContext::forget_container(const std::string& worker, const std::string& handle) {
  {
    std::lock_guard lock(mu_);
    auto it = std::find(containers_.begin(), containers_.end(), std::pair(worker, handle));
    if (it == containers_.end())
      return;
    containers_.erase(it);
  }
  record_release(owned(true, worker, handle, ""));
}

void BuildContext::hold(Slot slot) {
  std::lock_guard lock(mu_);
  slots_.push_back(std::move(slot));
}

// Bookkeeping failures must not fail the step: the worst case is the old behaviour (GC may
// collect the handle early), which the log then explains.
void BuildContext::record_ownership(const OwnedHandle& h) {
  try {
    workers.source().owns(h);
  } catch (const std::exception& e) {
    log.warn("record-ownership-failed", {{"handle", h.handle}, {"error", e.what()}});
  }
}

void BuildContext::record_release(const OwnedHandle& h) {
  try {
    workers.source().released(h);
  } catch (const std::exception& e) {
    log.warn("record-release-failed", {{"handle", h.handle}, {"error", e.what()}});
  }
}

// Containers go first: their bind mounts point into the build's volumes.
void BuildContext::release() {
  std::lock_guard lock(mu_);
  for (const auto& [worker, handle] : containers_) {
    try {
      GardenClient(workers.find(worker).garden_addr).destroy(handle);
    } catch (const std::exception& e) {
      log.warn("release-container-failed", {{"handle", handle}, {"error", e.what()}});
    }
    record_release(owned(true, worker, handle, ""));
  }
  slots_.clear();  // the containers are gone: their rooms go to waiting steps
  for (auto it = volumes_.rbegin(); it != volumes_.rend(); ++it) {
    try {
      BaggageclaimClient(workers.find(it->first).baggageclaim_url).destroy(it->second);
    } catch (const std::exception& e) {
      log.warn("release-volume-failed", {{"handle", it->second}, {"error", e.what()}});
    }
    record_release(owned(false, it->first, it->second, ""));
    workers.volume_released(it->first);
  }
  containers_.clear();
  volumes_.clear();
}

void BuildContext::keep_for_intercept() {
  std::lock_guard lock(mu_);
  // The containers stay on their workers, so the heartbeats count them from now on; the
  // rooms this ATC reserved go back to waiting steps.
  slots_.clear();
  for (const auto& v : volumes_)
    workers.volume_released(v.first);
  log.info("kept-for-intercept", {{"containers", std::to_string(containers_.size())},
                                  {"volumes", std::to_string(volumes_.size())}});
  containers_.clear();
  volumes_.clear();
}

}  // namespace concourse::atc::engine
