#include "workers.hpp"

#include <algorithm>
#include <utility>

#include "context.hpp"

namespace concourse::atc::engine {
namespace {

// A waiting step notices an abort or a timeout within this long.
constexpr auto kCancelPoll = std::chrono::milliseconds(100);
// How long a Garden's refusal for being full stands without a release on that worker: what
// others hold there may go away unseen, and its limit may be raised.
constexpr auto kFullMemory = std::chrono::seconds(30);
// How long a worker that could not be reached is skipped (its heartbeat stalls it if it stays
// away).
constexpr auto kUnreachableSkip = std::chrono::seconds(10);

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

const WorkerTarget& target_named(const std::vector<WorkerTarget>& fit, const std::string& name) {
  return *std::find_if(fit.begin(), fit.end(),
                       [&name](const WorkerTarget& w) { return w.name == name; });
}

}  // namespace

Slot::Slot(Slot&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)),
      worker_(std::move(other.worker_)),
      task_(other.task_),
      created_(other.created_) {}

Slot& Slot::operator=(Slot&& other) noexcept {
  if (this != &other) {
    release();
    pool_ = std::exchange(other.pool_, nullptr);
    worker_ = std::move(other.worker_);
    task_ = other.task_;
    created_ = other.created_;
  }
  return *this;
}

Slot::~Slot() {
  release();
}

void Slot::release() {
  if (auto* p = std::exchange(pool_, nullptr))
    p->give_back(*this, true);
}

void Slot::created() {
  if (pool_ != nullptr && !created_) {
    pool_->confirm(*this);
    created_ = true;
  }
}

void Slot::refused_full() {
  if (auto* p = std::exchange(pool_, nullptr))
    p->mark_full(*this);
}

void Slot::unreachable() {
  if (auto* p = std::exchange(pool_, nullptr))
    p->mark_unreachable(*this);
}

int64_t WorkerPool::Gauge::estimate(int64_t heartbeat) {
  if (heartbeat != seen) {
    seen = heartbeat;
    own_at_seen = own;
  }
  // Never below what we hold ourselves: a heartbeat may predate all of it.
  return value();
}

int64_t WorkerPool::Gauge::value() const {
  return std::max(own, std::max<int64_t>(seen, 0) + own - own_at_seen);
}

WorkerPool::WorkerPool(WorkerSource& source, PlacementOptions options)
    : source_(source),
      chain_(options),
      options_(finish_placement_options(std::move(options))),
      rng_(std::random_device{}()) {}

void WorkerPool::seed(uint32_t s) {
  std::lock_guard lock(mu_);
  rng_.seed(s);
}

// Concourse's compatibility rules: team workers serve their team only, global ones everybody;
// untagged steps never land on tagged workers.
std::vector<WorkerTarget> WorkerPool::compatible(const std::vector<WorkerTarget>& all,
                                                 const PlacementSpec& spec) const {
  std::vector<WorkerTarget> fit;
  bool any_type = false;
  for (const auto& w : all) {
    if (!w.team.empty() && w.team != spec.team)
      continue;
    if (spec.tags.empty() ? !w.tags.empty() : !has_tags(w, spec.tags))
      continue;
    if (!spec.resource_type.empty() && worker_resource_type(w, spec.resource_type) == nullptr)
      continue;
    any_type = true;
    fit.push_back(w);
  }
  if (!fit.empty())
    return fit;
  std::string why = "no workers satisfying: team '" + spec.team + "'";
  if (!spec.tags.empty())
    why += ", tags [" + join(spec.tags) + "]";
  if (!spec.resource_type.empty())
    why += ", resource type '" + spec.resource_type + "'";
  if (!spec.resource_type.empty() && !any_type && !all.empty())
    why = "unknown resource type '" + spec.resource_type + "': " + why;
  throw StepError(why);
}

// Caller holds mu_.
std::vector<Candidate> WorkerPool::candidates(const std::vector<WorkerTarget>& fit) {
  std::vector<Candidate> out;
  out.reserve(fit.size());
  for (const auto& w : fit) {
    State& st = states_[w.name];
    out.push_back({w.name,
                   {st.containers.estimate(w.active_containers),
                    st.volumes.estimate(w.active_volumes), st.tasks}});
  }
  return out;
}

// Caller holds mu_.
bool WorkerPool::available(const std::string& worker, int64_t containers, Clock::time_point now) {
  State& st = states_[worker];
  if (now < st.avoid_until)
    return false;
  if (st.full_at && now >= st.full_until)
    st.full_at.reset();
  return !st.full_at || containers < *st.full_at;
}

// Caller holds mu_.
std::optional<Slot> WorkerPool::try_reserve(const std::vector<WorkerTarget>& fit,
                                            const PlacementSpec& spec) {
  auto now = Clock::now();
  auto order = candidates(fit);
  chain_.order(order, spec, rng_);
  for (const auto& c : order) {
    if (!available(c.name, c.load.containers, now) || !chain_.refusal(c, spec).empty())
      continue;
    State& st = states_[c.name];
    ++st.containers.own;
    ++st.pending;
    if (spec.task)
      ++st.tasks;
    return Slot(this, target_named(fit, c.name), spec.task);
  }
  return std::nullopt;
}

std::optional<Slot> WorkerPool::place(const PlacementSpec& spec, const Cancel& cancel,
                                      const std::function<void()>& on_wait) {
  auto workers = source_.running_workers();
  auto refresh_at = Clock::now() + options_.recheck_interval;
  bool told = false;
  std::unique_lock lock(mu_);
  for (;;) {
    auto fit = compatible(workers, spec);
    if (auto slot = try_reserve(fit, spec))
      return slot;
    if (!told) {
      told = true;
      if (on_wait) {
        lock.unlock();
        on_wait();
        lock.lock();
        continue;  // something may have been released meanwhile
      }
    }
    uint64_t seen = releases_;
    while (releases_ == seen && Clock::now() < refresh_at && !cancel.stop())
      released_.wait_until(lock, std::min(Clock::now() + kCancelPoll, refresh_at));
    if (cancel.stop())
      return std::nullopt;
    if (Clock::now() >= refresh_at) {
      lock.unlock();
      workers = source_.running_workers();
      lock.lock();
      refresh_at = Clock::now() + options_.recheck_interval;
    }
  }
}

WorkerTarget WorkerPool::choose(const std::string& team, const std::vector<std::string>& tags,
                                const std::string& resource_type, const std::string& prefer) {
  PlacementSpec spec{team, tags, resource_type, {}, false};
  if (!prefer.empty())
    spec.input_workers.push_back(prefer);
  auto fit = compatible(source_.running_workers(), spec);
  std::lock_guard lock(mu_);
  auto order = candidates(fit);
  chain_.order(order, spec, rng_);
  return target_named(fit, order.front().name);
}

void WorkerPool::give_back(const Slot& s, bool notify) {
  {
    std::lock_guard lock(mu_);
    State& st = states_[s.worker_.name];
    --st.containers.own;
    if (!s.created_)
      --st.pending;
    if (s.task_)
      --st.tasks;
    if (notify)
      ++releases_;
  }
  if (notify)
    released_.notify_all();
}

void WorkerPool::confirm(const Slot& s) {
  std::lock_guard lock(mu_);
  --states_[s.worker_.name].pending;
}

// What the worker holds: not what other steps only reserved there (their creates may be the
// next to be refused).
void WorkerPool::mark_full(const Slot& s) {
  give_back(s, false);
  std::lock_guard lock(mu_);
  State& st = states_[s.worker_.name];
  st.full_at = st.containers.value() - st.pending;
  st.full_until = Clock::now() + kFullMemory;
}

void WorkerPool::mark_unreachable(const Slot& s) {
  give_back(s, false);
  std::lock_guard lock(mu_);
  states_[s.worker_.name].avoid_until = Clock::now() + kUnreachableSkip;
}

void WorkerPool::volume_created(const std::string& worker) {
  std::lock_guard lock(mu_);
  ++states_[worker].volumes.own;
}

void WorkerPool::volume_released(const std::string& worker) {
  {
    std::lock_guard lock(mu_);
    --states_[worker].volumes.own;
    ++releases_;
  }
  released_.notify_all();
}

WorkerLoad WorkerPool::load_of(const std::string& worker) {
  std::lock_guard lock(mu_);
  State& st = states_[worker];
  return {st.containers.value(), st.volumes.value(), st.tasks};
}

WorkerTarget WorkerPool::find(const std::string& name) {
  for (auto& w : source_.running_workers()) {
    if (w.name == name)
      return w;
  }
  throw StepError("worker '" + name + "' is gone");
}

}  // namespace concourse::atc::engine
