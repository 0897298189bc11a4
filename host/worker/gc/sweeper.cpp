#include "worker/gc/sweeper.hpp"

#include <algorithm>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "core/error.hpp"

namespace concourse::worker::gc {
namespace {

int64_t realtime_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// Handles travel on an SSH command line that the TSA splits on spaces; anything that could be
// split or interpreted is kept off it (Concourse's handles are UUIDs).
bool safe_for_command_line(const std::string& h) {
  if (h.empty() || h.size() > 256)
    return false;
  return std::all_of(h.begin(), h.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == ':';
  });
}

const char* kind_name(uint32_t kind) {
  return kind == CC_GC_OBJECT_CONTAINER ? "container" : "volume";
}

// Runs f over items with at most max_in_flight at once; stops taking new items once stop is set.
void for_each_bounded(const std::vector<Decision>& items, size_t max_in_flight,
                      const std::atomic<bool>& stop,
                      const std::function<void(const Decision&)>& f) {
  std::atomic<size_t> next{0};
  auto drain = [&] {
    for (size_t i = next++; i < items.size() && !stop.load(); i = next++)
      f(items[i]);
  };
  size_t n = std::min(std::max<size_t>(max_in_flight, 1), items.size());
  std::vector<std::thread> threads;
  for (size_t t = 1; t < n; ++t)
    threads.emplace_back(drain);
  drain();
  for (auto& t : threads)
    t.join();
}

}  // namespace

Sweeper::Sweeper(SweeperOptions options, TsaCommands& tsa, LocalEndpoints endpoints,
                 GcStrategyBinding strategy, concourse::log::Logger log)
    : options_(std::move(options)),
      tsa_(tsa),
      inventory_(std::move(endpoints)),
      strategy_(std::move(strategy)),
      log_(std::move(log)) {}

Sweeper::~Sweeper() {
  stop();
}

void Sweeper::start() {
  std::lock_guard lock(mu_);
  if (!threads_.empty())
    return;
  stopping_ = false;
  threads_.emplace_back([this] { loop(true); });
  threads_.emplace_back([this] { loop(false); });
  log_.info(
      "sweepers-started",
      {{"interval_ms",
        std::to_string(
            std::chrono::duration_cast<std::chrono::milliseconds>(options_.interval).count())},
       {"strategy", strategy_.name()}});
}

void Sweeper::stop() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    threads.swap(threads_);
  }
  cv_.notify_all();
  for (auto& t : threads)
    t.join();
}

void Sweeper::loop(bool containers) {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (cv_.wait_for(lock, options_.interval, [this] { return stopping_.load(); }))
      break;
    lock.unlock();
    try {
      containers ? sweep_containers() : sweep_volumes();
    } catch (const std::exception& e) {
      log_.error("sweep-failed",
                 {{"kind", containers ? "container" : "volume"}, {"error", e.what()}});
    }
    lock.lock();
  }
}

void Sweeper::run_once() {
  sweep_containers();
  sweep_volumes();
}

std::string Sweeper::worker_json() const {
  return options_.worker_json ? options_.worker_json() : std::string("{}");
}

bool Sweeper::report(const std::string& command, const std::vector<std::string>& handles,
                     SweepResult& result) {
  std::string line = command;
  for (const auto& h : handles) {
    if (!safe_for_command_line(h)) {
      log_.warn("handle-not-reported", {{"command", command}, {"handle", h}});
      continue;
    }
    line += " " + h;
    result.reported_handles.push_back(h);
  }
  try {
    tsa_.run(line, worker_json());
    result.reported = true;
  } catch (const std::exception& e) {
    log_.error("report-failed", {{"command", command}, {"error", e.what()}});
  }
  return result.reported;
}

std::vector<std::string> Sweeper::fetch_destroying(const std::string& command) const {
  std::string out = tsa_.run(command, worker_json());
  auto j = nlohmann::json::parse(out, nullptr, false);
  if (j.is_null())
    return {};  // the ATC encodes an empty list as null
  if (j.is_discarded() || !j.is_array())
    throw core::Error(CC_E_INTERNAL, command + ": expected a JSON array of handles, got: " + out);
  std::vector<std::string> handles;
  for (const auto& h : j) {
    if (!h.is_string())
      throw core::Error(CC_E_INTERNAL, command + ": handle is not a string: " + h.dump());
    handles.push_back(h.get<std::string>());
  }
  return handles;
}

void Sweeper::execute(uint32_t kind, const Snapshot& snapshot, std::vector<Decision> decisions,
                      size_t max_in_flight, SweepResult& result) {
  std::vector<Decision> admitted;
  std::set<std::string> seen;
  for (auto& d : decisions) {
    if (d.kind != kind || !snapshot.may_remove(d.kind, d.handle)) {
      log_.warn("gc-decision-refused",
                {{"plugin", strategy_.name()},
                 {"kind", d.kind == CC_GC_OBJECT_CONTAINER || d.kind == CC_GC_OBJECT_VOLUME
                              ? kind_name(d.kind)
                              : std::to_string(d.kind)},
                 {"handle", d.handle},
                 {"reason", d.reason},
                 {"why", "neither marked destroying by the atc nor an unreferenced cache volume"}});
      result.refused.push_back(d.handle);
      continue;
    }
    if (seen.insert(d.handle).second)
      admitted.push_back(std::move(d));
  }
  std::mutex result_mu;
  for_each_bounded(admitted, max_in_flight, stopping_, [&](const Decision& d) {
    try {
      kind == CC_GC_OBJECT_CONTAINER ? inventory_.destroy_container(d.handle)
                                     : inventory_.destroy_volume(d.handle);
      log_.debug("destroyed",
                 {{"kind", kind_name(kind)}, {"handle", d.handle}, {"reason", d.reason}});
      std::lock_guard lock(result_mu);
      result.destroyed.push_back(d.handle);
    } catch (const std::exception& e) {
      log_.error("destroy-failed",
                 {{"kind", kind_name(kind)}, {"handle", d.handle}, {"error", e.what()}});
      std::lock_guard lock(result_mu);
      result.failed.push_back(d.handle);
    }
  });
}

SweepResult Sweeper::sweep_containers() {
  SweepResult result;
  std::vector<std::string> local;
  try {
    local = inventory_.list_containers();
    result.listed = true;
  } catch (const std::exception& e) {
    log_.error("list-containers-failed", {{"error", e.what()}});
  }
  // A failed listing must not be reported: an empty report tells the ATC everything is missing.
  if (result.listed)
    report("report-containers", local, result);
  std::vector<std::string> destroying;
  try {
    destroying = fetch_destroying("sweep-containers");
  } catch (const std::exception& e) {
    log_.error("sweep-containers-failed", {{"error", e.what()}});
    return result;
  }
  std::set<std::string> marked(destroying.begin(), destroying.end());
  Snapshot snapshot(container_objects(local, marked), disk_stats(options_.volumes_dir),
                    realtime_ns());
  std::vector<Decision> decisions;
  try {
    decisions = strategy_.plan(*snapshot.get(), options_.plan_timeout);
  } catch (const std::exception& e) {
    log_.error("plan-failed", {{"plugin", strategy_.name()}, {"error", e.what()}});
    return result;
  }
  result.swept = true;
  execute(CC_GC_OBJECT_CONTAINER, snapshot, std::move(decisions), options_.container_max_in_flight,
          result);
  return result;
}

SweepResult Sweeper::sweep_volumes() {
  SweepResult result;
  std::vector<LocalVolume> local;
  try {
    local = inventory_.list_volumes();
    result.listed = true;
  } catch (const std::exception& e) {
    log_.error("list-volumes-failed", {{"error", e.what()}});
  }
  if (result.listed) {
    // Resource-type installs belong to the worker, not the ATC (docs/conventions.md): left out
    // of the report, the ATC never marks them destroying; the installer removes them.
    std::vector<std::string> handles;
    std::erase_if(local, [](const LocalVolume& v) {
      return v.properties.count("concourse:resource-type-version") != 0;
    });
    for (const auto& v : local)
      handles.push_back(v.handle);
    report("report-volumes", handles, result);
  }
  std::vector<std::string> destroying;
  try {
    destroying = fetch_destroying("sweep-volumes");
  } catch (const std::exception& e) {
    log_.error("sweep-volumes-failed", {{"error", e.what()}});
    return result;
  }
  std::set<std::string> marked(destroying.begin(), destroying.end());
  Snapshot snapshot(volume_objects(local, marked), disk_stats(options_.volumes_dir), realtime_ns());
  std::vector<Decision> decisions;
  try {
    decisions = strategy_.plan(*snapshot.get(), options_.plan_timeout);
  } catch (const std::exception& e) {
    log_.error("plan-failed", {{"plugin", strategy_.name()}, {"error", e.what()}});
    return result;
  }
  result.swept = true;
  execute(CC_GC_OBJECT_VOLUME, snapshot, std::move(decisions), options_.volume_max_in_flight,
          result);
  try {
    inventory_.cleanup_orphans();
  } catch (const std::exception& e) {
    log_.warn("cleanup-orphans-failed", {{"error", e.what()}});
  }
  return result;
}

}  // namespace concourse::worker::gc
