// Placement: which worker runs a step, and the per-worker cache of imported resource type
// images (imported once per worker, type and version, then COW-cloned for each container).
//
// A worker's heartbeat figures are up to one heartbeat interval old, so a burst of steps would
// all see the same idle worker. The pool therefore counts what it placed itself: a container's
// room is reserved when its worker is picked (a Slot) and freed when the build releases the
// container; volumes likewise from creation to release. That count, plus the heartbeat's
// figure for what this ATC did not place, is the load the strategies and limits see.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "baggageclaim_client.hpp"
#include "build_runner.hpp"
#include "core/log.hpp"
#include "placement.hpp"

namespace concourse::atc::engine {

struct Cancel;
class WorkerPool;

// Room for one container on a worker, from placement until the container is released. Move-only;
// destroying it gives the room back and wakes the steps waiting for one.
class Slot {
 public:
  Slot(Slot&& other) noexcept;
  Slot& operator=(Slot&& other) noexcept;
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;
  ~Slot();

  const WorkerTarget& worker() const { return worker_; }
  // The worker's Garden created the container: it now exists there, no longer only reserved.
  void created();
  // The worker's Garden refused the container for being full: the pool remembers how many
  // containers it held then and places nothing more there until one is released (or a while
  // passed); the room is given back.
  void refused_full();
  // The worker could not be reached: the pool skips it for a while; the room is given back.
  void unreachable();
  void release();  // idempotent

 private:
  friend class WorkerPool;
  Slot(WorkerPool* pool, WorkerTarget w, bool task)
      : pool_(pool), worker_(std::move(w)), task_(task) {}

  WorkerPool* pool_ = nullptr;
  WorkerTarget worker_;
  bool task_ = false;
  bool created_ = false;
};

class WorkerPool {
 public:
  explicit WorkerPool(WorkerSource& source, PlacementOptions options = {});

  // The running worker for a step of `team` with `tags` that (when resource_type is not
  // empty) offers that type, ordered by the strategies (prefer counts as where the inputs live)
  // but ignoring limits, and reserving nothing: for check containers, which are short-lived.
  // Throws StepError explaining why none fits.
  WorkerTarget choose(const std::string& team, const std::vector<std::string>& tags,
                      const std::string& resource_type, const std::string& prefer = "");

  // Reserves room for one container of spec on the best worker with room. While none has room
  // it waits, calling on_wait once first, looking again whenever a container or volume is
  // released here and every recheck_interval (re-reading the workers then). nullopt when
  // cancel stops the step while it waits. Throws StepError when no worker is compatible.
  std::optional<Slot> place(const PlacementSpec& spec, const Cancel& cancel,
                            const std::function<void()>& on_wait = nullptr);

  // Volumes this ATC made on a worker, from creation to release (limit-active-volumes).
  void volume_created(const std::string& worker);
  void volume_released(const std::string& worker);

  WorkerTarget find(const std::string& name);
  WorkerSource& source() { return source_; }
  // The load place() would see for a worker of the last worker list it read (tests, logs).
  WorkerLoad load_of(const std::string& worker);
  void seed(uint32_t s);  // deterministic tie-breaking, for tests

 private:
  friend class Slot;
  using Clock = std::chrono::steady_clock;

  // What this ATC placed on a worker, and the heartbeat figure it last saw with the count it
  // had then: the heartbeat covers what existed before it, our count what changed since.
  struct Gauge {
    int64_t own = 0;
    int64_t seen = -1;
    int64_t own_at_seen = 0;
    int64_t estimate(int64_t heartbeat);  // records a new heartbeat figure
    int64_t value() const;                // with the last one seen
  };
  struct State {
    Gauge containers, volumes;
    int64_t tasks = 0;
    int64_t pending = 0;             // of containers.own: reserved, not created yet
    std::optional<int64_t> full_at;  // containers it held when its Garden refused one
    Clock::time_point full_until, avoid_until;
  };

  std::vector<WorkerTarget> compatible(const std::vector<WorkerTarget>& all,
                                       const PlacementSpec& spec) const;
  std::vector<Candidate> candidates(const std::vector<WorkerTarget>& fit);
  std::optional<Slot> try_reserve(const std::vector<WorkerTarget>& fit, const PlacementSpec& spec);
  bool available(const std::string& worker, int64_t containers, Clock::time_point now);
  void give_back(const Slot& s, bool notify);
  void confirm(const Slot& s);
  void mark_full(const Slot& s);
  void mark_unreachable(const Slot& s);

  WorkerSource& source_;
  PlacementChain chain_;
  PlacementOptions options_;
  std::mutex mu_;
  std::condition_variable released_;
  uint64_t releases_ = 0;  // bumped on every release, so waiters know to look again
  std::map<std::string, State> states_;
  std::mt19937 rng_;
};

// The resource type entry a worker advertises, or null.
const nlohmann::json* worker_resource_type(const WorkerTarget& w, const std::string& type);

class ImageCache {
 public:
  // The import volume of `type` on worker w, created on first use.
  Volume base_volume(const WorkerTarget& w, const std::string& type);

 private:
  std::mutex mu_;
  std::map<std::string, std::string> volumes_;  // worker/type/version -> handle
};

}  // namespace concourse::atc::engine
