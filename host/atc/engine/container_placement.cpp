#include "container_placement.hpp"

#include <Poco/Exception.h>
#include <Poco/Net/NetException.h>

#include <cstdio>

namespace concourse::atc::engine {
namespace {

using Clock = std::chrono::steady_clock;

// Attempts on workers that could not be reached before the step errors: a worker that stays
// away is stalled by its missing heartbeats and then no longer offered.
constexpr int kUnreachableAttempts = 3;

std::string waited_for(Clock::duration d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1fs", std::chrono::duration<double>(d).count());
  return buf;
}

// One step's placement attempts: what it told the log, and how many unreachable workers it met.
struct Attempts {
  BuildContext& ctx;
  const std::string& plan_id;
  std::optional<Clock::time_point> waiting_since;
  int unreachable_left = kUnreachableAttempts;

  void waiting() {
    waiting_since = Clock::now();
    ctx.emit_origin("waiting-for-worker", plan_id);
    ctx.log_line(plan_id, "stdout", kAllWorkersBusy);
  }
  void placed() {
    if (waiting_since)
      ctx.log_line(
          plan_id, "stdout",
          "Found a free worker after waiting " + waited_for(Clock::now() - *waiting_since) + ".\n");
  }
  void unreachable(Slot& slot, const std::string& error) {
    const std::string name = slot.worker().name;
    slot.unreachable();
    if (--unreachable_left <= 0)
      throw StepError("worker " + name + " could not be reached: " + error);
    ctx.log_line(plan_id, "stderr",
                 "worker " + name + " could not be reached (" + error + "), placing again\n");
  }
};

}  // namespace

bool garden_full(const std::exception& e) {
  return std::string(e.what()).find("max containers reached") != std::string::npos;
}

std::optional<WorkerTarget> create_container(
    BuildContext& ctx, const std::string& plan_id, const PlacementSpec& spec, const Cancel& cancel,
    const std::string& type, const std::function<ContainerSpec(const WorkerTarget&)>& prepare) {
  Attempts attempts{ctx, plan_id, std::nullopt};
  for (;;) {
    std::optional<Slot> slot = ctx.workers.place(spec, cancel, [&] { attempts.waiting(); });
    if (!slot)
      return std::nullopt;
    const WorkerTarget w = slot->worker();
    ctx.emit_origin("selected-worker", plan_id, {{"selected_worker", w.name}});
    std::string handle;
    try {
      ContainerSpec cs = prepare(w);
      handle = cs.handle;
      ctx.track_container(w.name, handle, type);
      GardenClient(w.garden_addr).create(cs);
    } catch (const Poco::Net::NetException& e) {
      ctx.forget_container(w.name, handle);
      attempts.unreachable(*slot, e.displayText());
      continue;
    } catch (const Poco::TimeoutException& e) {
      ctx.forget_container(w.name, handle);
      attempts.unreachable(*slot, e.displayText());
      continue;
    } catch (const std::runtime_error& e) {
      if (handle.empty() || !garden_full(e))
        throw;
      ctx.forget_container(w.name, handle);
      ctx.log.info("worker-full", {{"worker", w.name}, {"error", e.what()}});
      slot->refused_full();
      continue;
    }
    slot->created();
    ctx.hold(std::move(*slot));
    attempts.placed();
    return w;
  }
}

}  // namespace concourse::atc::engine
