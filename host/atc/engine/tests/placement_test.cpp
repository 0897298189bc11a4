// Container placement without workers: the strategies and limits, what the pool counts on top of
// the heartbeat, and how a step waits for room and is woken.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include "atc/engine/context.hpp"
#include "atc/engine/placement.hpp"
#include "atc/engine/workers.hpp"
#include "core/flags.hpp"

namespace concourse::atc::engine {
namespace {

using namespace std::chrono_literals;

class FakeSource : public WorkerSource {
 public:
  std::vector<WorkerTarget> running_workers() override {
    std::lock_guard lock(mu);
    return workers;
  }
  void set(std::vector<WorkerTarget> w) {
    std::lock_guard lock(mu);
    workers = std::move(w);
  }
  std::mutex mu;
  std::vector<WorkerTarget> workers;
};

WorkerTarget worker(const std::string& name, int64_t containers = 0) {
  WorkerTarget w;
  w.name = name;
  w.active_containers = containers;
  return w;
}

PlacementOptions strategies(std::vector<std::string> names) {
  PlacementOptions o;
  o.strategies = std::move(names);
  return o;
}

PlacementSpec task_spec(std::vector<std::string> inputs = {}) {
  return PlacementSpec{"main", {}, "", std::move(inputs), true};
}

PlacementSpec get_spec() {
  return PlacementSpec{"main", {}, "", {}, false};
}

std::vector<std::string> ordered(const PlacementChain& chain, std::vector<Candidate> c,
                                 const PlacementSpec& spec, uint32_t seed = 1) {
  std::mt19937 rng(seed);
  chain.order(c, spec, rng);
  std::vector<std::string> out;
  for (const auto& x : c)
    out.push_back(x.name);
  return out;
}

// --- options ---------------------------------------------------------------------------

TEST(PlacementOptions, DefaultIsVolumeLocality) {
  EXPECT_EQ(finish_placement_options({}).strategies, std::vector<std::string>{"volume-locality"});
}

TEST(PlacementOptions, SplitsCommasAndTrims) {
  auto o = finish_placement_options(strategies({"limit-active-tasks, fewest-build-containers"}));
  EXPECT_EQ(o.strategies,
            (std::vector<std::string>{"limit-active-tasks", "fewest-build-containers"}));
  EXPECT_EQ(finish_placement_options(o).strategies, o.strategies);  // idempotent
}

TEST(PlacementOptions, RejectsUnknownStrategiesAndNegativeLimits) {
  try {
    finish_placement_options(strategies({"volume-locality", "busiest"}));
    FAIL() << "accepted an unknown strategy";
  } catch (const core::UsageError& e) {
    EXPECT_STREQ(e.what(), "invalid container placement strategy busiest");
  }
  PlacementOptions o;
  o.max_active_containers_per_worker = -1;
  EXPECT_THROW(finish_placement_options(o), core::UsageError);
  o = {};
  o.max_active_tasks_per_worker = -2;
  EXPECT_THROW(finish_placement_options(o), core::UsageError);
}

TEST(PlacementOptions, FlagsRepeatAndComeFromTheEnvironment) {
  PlacementOptions o;
  core::FlagSet fs("web");
  add_placement_flags(fs, o);
  const char* argv[] = {"web",
                        "--container-placement-strategy",
                        "limit-active-containers",
                        "--container-placement-strategy=fewest-build-containers",
                        "--max-active-containers-per-worker",
                        "7",
                        "--max-active-tasks-per-worker=3"};
  fs.parse(7, const_cast<char**>(argv), 1);
  o = finish_placement_options(o);
  EXPECT_EQ(o.strategies,
            (std::vector<std::string>{"limit-active-containers", "fewest-build-containers"}));
  EXPECT_EQ(o.max_active_containers_per_worker, 7);
  EXPECT_EQ(o.max_active_tasks_per_worker, 3);

  ::setenv("CONCOURSE_CONTAINER_PLACEMENT_STRATEGY", "limit-active-volumes,volume-locality", 1);
  ::setenv("CONCOURSE_MAX_ACTIVE_VOLUMES_PER_WORKER", "9", 1);
  PlacementOptions e;
  core::FlagSet env_fs("web");
  add_placement_flags(env_fs, e);
  const char* none[] = {"web"};
  env_fs.parse(1, const_cast<char**>(none), 1);
  ::unsetenv("CONCOURSE_CONTAINER_PLACEMENT_STRATEGY");
  ::unsetenv("CONCOURSE_MAX_ACTIVE_VOLUMES_PER_WORKER");
  e = finish_placement_options(e);
  EXPECT_EQ(e.strategies, (std::vector<std::string>{"limit-active-volumes", "volume-locality"}));
  EXPECT_EQ(e.max_active_volumes_per_worker, 9);
}

// --- strategies ------------------------------------------------------------------------

TEST(PlacementChain, VolumeLocalityPrefersTheWorkerWithMostInputs) {
  PlacementChain chain({});
  std::vector<Candidate> c = {{"a", {}}, {"b", {}}, {"c", {}}};
  auto spec = task_spec({"b", "c", "c"});
  for (uint32_t seed = 0; seed < 20; ++seed)
    EXPECT_EQ(ordered(chain, c, spec, seed), (std::vector<std::string>{"c", "b", "a"}));
}

TEST(PlacementChain, RandomAndTiesSpreadOverEveryWorker) {
  for (const char* s : {"random", "volume-locality"}) {
    PlacementChain chain(strategies({s}));
    std::vector<Candidate> c = {{"a", {}}, {"b", {}}, {"c", {}}};
    std::set<std::string> firsts;
    for (uint32_t seed = 0; seed < 50; ++seed)
      firsts.insert(ordered(chain, c, task_spec(), seed).front());
    EXPECT_EQ(firsts.size(), 3u) << s;
  }
}

TEST(PlacementChain, FewestBuildContainersThenVolumeLocalityBreaksTies) {
  PlacementChain chain(strategies({"fewest-build-containers", "volume-locality"}));
  std::vector<Candidate> c = {{"busy", {9, 0, 0}}, {"a", {2, 0, 0}}, {"b", {2, 0, 0}}};
  for (uint32_t seed = 0; seed < 20; ++seed)
    EXPECT_EQ(ordered(chain, c, task_spec({"b"}), seed),
              (std::vector<std::string>{"b", "a", "busy"}));
}

TEST(PlacementChain, LimitActiveContainersPutsFullWorkersLastAndRefusesThem) {
  PlacementOptions o = strategies({"limit-active-containers", "volume-locality"});
  o.max_active_containers_per_worker = 3;
  PlacementChain chain(o);
  std::vector<Candidate> c = {{"full", {3, 0, 0}}, {"free", {2, 0, 0}}};
  // volume-locality alone would put "full" first: the limit partitions before it.
  EXPECT_EQ(ordered(chain, c, task_spec({"full", "full"})),
            (std::vector<std::string>{"free", "full"}));
  EXPECT_EQ(chain.refusal(c[0], task_spec()), "limit-active-containers");
  EXPECT_EQ(chain.refusal(c[1], task_spec()), "");
}

TEST(PlacementChain, ZeroMeansNoLimit) {
  PlacementChain chain(strategies({"limit-active-containers", "limit-active-tasks"}));
  EXPECT_EQ(chain.refusal({"w", {1000, 1000, 1000}}, task_spec()), "");
}

TEST(PlacementChain, LimitActiveTasksCountsOnlyTasks) {
  PlacementOptions o = strategies({"limit-active-tasks"});
  o.max_active_tasks_per_worker = 2;
  PlacementChain chain(o);
  Candidate at_limit{"w", {50, 0, 2}};
  EXPECT_EQ(chain.refusal(at_limit, task_spec()), "limit-active-tasks");
  EXPECT_EQ(chain.refusal(at_limit, get_spec()), "");
  EXPECT_EQ(chain.refusal({"w", {50, 0, 1}}, task_spec()), "");
  std::vector<Candidate> c = {{"x", {0, 0, 2}}, {"y", {0, 0, 0}}};
  EXPECT_EQ(ordered(chain, c, task_spec()).front(), "y");
}

TEST(PlacementChain, LimitActiveVolumes) {
  PlacementOptions o = strategies({"limit-active-volumes"});
  o.max_active_volumes_per_worker = 4;
  PlacementChain chain(o);
  EXPECT_EQ(chain.refusal({"w", {0, 4, 0}}, get_spec()), "limit-active-volumes");
  EXPECT_EQ(chain.refusal({"w", {0, 3, 0}}, get_spec()), "");
}

// --- the pool --------------------------------------------------------------------------

Cancel never() {
  static std::atomic<bool> no{false};
  Cancel c;
  c.aborted = &no;
  return c;
}

TEST(WorkerPool, ABurstIsSpreadBecauseThePoolCountsWhatItPlaced) {
  FakeSource src;
  src.set({worker("a"), worker("b")});  // the heartbeat says both are idle, and stays so
  WorkerPool pool(src, strategies({"fewest-build-containers"}));
  pool.seed(7);
  std::vector<Slot> held;
  std::map<std::string, int> on;
  for (int i = 0; i < 10; ++i) {
    auto s = pool.place(task_spec(), never());
    ASSERT_TRUE(s);
    on[s->worker().name]++;
    held.push_back(std::move(*s));
  }
  EXPECT_EQ(on["a"], 5);
  EXPECT_EQ(on["b"], 5);
  EXPECT_EQ(pool.load_of("a").containers, 5);
  EXPECT_EQ(pool.load_of("a").tasks, 5);
  held.clear();
  EXPECT_EQ(pool.load_of("a").containers, 0);
  EXPECT_EQ(pool.load_of("a").tasks, 0);
}

TEST(WorkerPool, HeartbeatFiguresAreNotCountedTwice) {
  FakeSource src;
  src.set({worker("w", 10)});  // 10 containers this ATC did not place
  WorkerPool pool(src);
  auto a = pool.place(get_spec(), never());
  auto b = pool.place(get_spec(), never());
  EXPECT_EQ(pool.load_of("w").containers, 12);
  // The next heartbeat includes our two.
  src.set({worker("w", 12)});
  auto c = pool.place(get_spec(), never());
  EXPECT_EQ(pool.load_of("w").containers, 13);
  a->release();
  b->release();
  c->release();
  EXPECT_EQ(pool.load_of("w").containers, 10);
}

TEST(WorkerPool, CompatibilityErrorsNameTheRequirement) {
  FakeSource src;
  WorkerTarget team = worker("team-w");
  team.team = "other";
  WorkerTarget tagged = worker("tagged");
  tagged.tags = {"gpu"};
  src.set({team, tagged});
  WorkerPool pool(src);
  try {
    pool.place(get_spec(), never());
    FAIL() << "placed on an incompatible worker";
  } catch (const StepError& e) {
    EXPECT_STREQ(e.what(), "no workers satisfying: team 'main'");
  }
  PlacementSpec gpu = get_spec();
  gpu.tags = {"gpu"};
  EXPECT_EQ(pool.place(gpu, never())->worker().name, "tagged");
  gpu.tags = {"gpu", "big"};
  EXPECT_THROW(pool.place(gpu, never()), StepError);
  PlacementSpec other = get_spec();
  other.team = "other";
  EXPECT_EQ(pool.choose("other", {}, "").name, "team-w");
  EXPECT_EQ(pool.place(other, never())->worker().name, "team-w");
}

// Runs place() on a thread; `waiting` is fulfilled when the step starts waiting.
struct Waiter {
  std::promise<void> waiting;
  std::future<std::optional<Slot>> result;
  int waits = 0;

  Waiter(WorkerPool& pool, PlacementSpec spec, Cancel cancel) {
    result = std::async(std::launch::async, [this, &pool, spec, cancel] {
      return pool.place(spec, cancel, [this] {
        if (++waits == 1)
          waiting.set_value();
      });
    });
  }
};

TEST(WorkerPool, AStepWaitsForRoomAndGetsItWhenAContainerIsReleased) {
  FakeSource src;
  src.set({worker("w")});
  PlacementOptions o = strategies({"limit-active-containers"});
  o.max_active_containers_per_worker = 2;
  o.recheck_interval = 1h;  // only a release may wake it
  WorkerPool pool(src, o);
  auto a = pool.place(task_spec(), never());
  auto b = pool.place(get_spec(), never());
  Waiter third(pool, task_spec(), never());
  third.waiting.get_future().wait();
  EXPECT_EQ(third.result.wait_for(50ms), std::future_status::timeout);
  a->release();
  auto got = third.result.get();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->worker().name, "w");
  EXPECT_EQ(third.waits, 1);  // said so once
  EXPECT_EQ(pool.load_of("w").containers, 2);
}

TEST(WorkerPool, AbortStopsTheWait) {
  FakeSource src;
  src.set({worker("w")});
  PlacementOptions o = strategies({"limit-active-tasks"});
  o.max_active_tasks_per_worker = 1;
  o.recheck_interval = 1h;
  WorkerPool pool(src, o);
  auto held = pool.place(task_spec(), never());
  std::atomic<bool> aborted{false};
  Cancel cancel;
  cancel.aborted = &aborted;
  Waiter w(pool, task_spec(), cancel);
  w.waiting.get_future().wait();
  auto t0 = std::chrono::steady_clock::now();
  aborted = true;
  EXPECT_FALSE(w.result.get());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  EXPECT_EQ(pool.load_of("w").tasks, 1);  // the aborted step took nothing
  // A get is no task: limit-active-tasks lets it through.
  EXPECT_TRUE(pool.place(get_spec(), never()));
}

TEST(WorkerPool, AWaitingStepSeesANewWorkerOnTheNextRecheck) {
  FakeSource src;
  src.set({worker("old")});
  PlacementOptions o = strategies({"limit-active-containers"});
  o.max_active_containers_per_worker = 1;
  o.recheck_interval = 50ms;
  WorkerPool pool(src, o);
  auto held = pool.place(get_spec(), never());
  Waiter w(pool, get_spec(), never());
  w.waiting.get_future().wait();
  src.set({worker("old"), worker("new")});
  auto got = w.result.get();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->worker().name, "new");
}

TEST(WorkerPool, AGardenThatRefusedForBeingFullGetsNothingUntilARelease) {
  FakeSource src;
  src.set({worker("w")});
  PlacementOptions o;  // no limits configured: only the Garden's refusal teaches one
  o.recheck_interval = 1h;
  WorkerPool pool(src, o);
  auto a = pool.place(task_spec(), never());
  a->created();
  auto b = pool.place(task_spec(), never());
  b->refused_full();  // the Garden holds what a holds, and no more
  EXPECT_EQ(pool.load_of("w").containers, 1);
  Waiter next(pool, task_spec(), never());
  next.waiting.get_future().wait();
  EXPECT_EQ(next.result.wait_for(50ms), std::future_status::timeout);
  a->release();
  ASSERT_TRUE(next.result.get());
}

// A burst reserves far more than the Garden holds: the refusals must learn what exists there,
// not what was only reserved (else the worker keeps being offered and refusing).
TEST(WorkerPool, ReservationsInFlightAreNotTakenForHeldContainersWhenAGardenRefuses) {
  FakeSource src;
  src.set({worker("w")});
  PlacementOptions o;
  o.recheck_interval = 1h;
  WorkerPool pool(src, o);
  std::vector<Slot> burst;
  for (int i = 0; i < 5; ++i)
    burst.push_back(std::move(*pool.place(task_spec(), never())));
  burst[0].created();
  burst[1].created();
  burst[2].refused_full();  // two exist, two more are still being created
  EXPECT_EQ(pool.load_of("w").containers, 4);
  burst[3].refused_full();
  burst[4].refused_full();
  EXPECT_EQ(pool.load_of("w").containers, 2);
  Waiter next(pool, task_spec(), never());
  next.waiting.get_future().wait();
  burst[0].release();
  auto got = next.result.get();
  ASSERT_TRUE(got);
  got->created();
  Waiter after(pool, task_spec(), never());
  after.waiting.get_future().wait();  // full again: two exist
  burst[1].release();
  EXPECT_TRUE(after.result.get());
}

TEST(WorkerPool, AnUnreachableWorkerIsSkipped) {
  FakeSource src;
  src.set({worker("down"), worker("up")});
  WorkerPool pool(src);
  auto spec = task_spec({"down", "down"});  // volume-locality wants "down"
  auto first = pool.place(spec, never());
  ASSERT_EQ(first->worker().name, "down");
  first->unreachable();
  EXPECT_EQ(pool.load_of("down").containers, 0);
  EXPECT_EQ(pool.place(spec, never())->worker().name, "up");
}

TEST(WorkerPool, VolumesCountTowardsLimitActiveVolumes) {
  FakeSource src;
  src.set({worker("w")});
  PlacementOptions o = strategies({"limit-active-volumes"});
  o.max_active_volumes_per_worker = 2;
  o.recheck_interval = 1h;
  WorkerPool pool(src, o);
  pool.volume_created("w");
  pool.volume_created("w");
  EXPECT_EQ(pool.load_of("w").volumes, 2);
  Waiter w(pool, get_spec(), never());
  w.waiting.get_future().wait();
  pool.volume_released("w");
  EXPECT_TRUE(w.result.get());
}

TEST(WorkerPool, MovedSlotsReleaseOnce) {
  FakeSource src;
  src.set({worker("w")});
  WorkerPool pool(src);
  {
    auto s = pool.place(task_spec(), never());
    Slot moved = std::move(*s);
    std::vector<Slot> v;
    v.push_back(std::move(moved));
    EXPECT_EQ(pool.load_of("w").containers, 1);
  }
  EXPECT_EQ(pool.load_of("w").containers, 0);
}

}  // namespace
}  // namespace concourse::atc::engine
