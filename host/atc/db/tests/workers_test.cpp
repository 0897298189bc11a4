// Every worker state transition of reference §2.2 against a real PostgreSQL.
#include "atc/db/workers.hpp"

#include <algorithm>
#include <ctime>
#include <optional>

#include "atc/db/artifacts.hpp"
#include "atc/db/teams.hpp"
#include "db_fixture.hpp"

namespace concourse::atc::db::testing {
namespace {

using namespace std::chrono_literals;

int64_t now() {
  return static_cast<int64_t>(std::time(nullptr));
}

WorkerRow worker(const std::string& name, const std::string& team = "") {
  WorkerRow w;
  w.name = name;
  w.addr = "10.0.0.1:7777";
  w.baggageclaim_url = "http://10.0.0.1:7788";
  w.platform = "linux";
  w.version = "2.5";
  w.team = team;
  return w;
}

class WorkersTest : public DbTest {
 protected:
  // A build with a container on `worker`; returns the build id.
  int64_t build_on(const std::string& worker_name, bool one_off, bool interruptible,
                   bool completed) {
    auto id = db_->exec(
                     "INSERT INTO builds (one_off, interruptible, completed) VALUES "
                     "($1::boolean, $2::boolean, $3::boolean) RETURNING id",
                     {one_off ? "true" : "false", interruptible ? "true" : "false",
                      completed ? "true" : "false"})
                  .get_int(0, 0);
    ArtifactRow c;
    c.handle = "c-" + std::to_string(id);
    c.worker_name = worker_name;
    c.state = "created";
    c.build_id = id;
    c.type = "task";
    Artifacts(*db_, ArtifactKind::Container).save(c);
    return id;
  }

  void SetUp() override {
    DbTest::SetUp();
    workers_.emplace(*db_);
  }

  std::optional<Workers> workers_;
};

TEST_F(WorkersTest, SaveStoresEveryFieldAndDefaults) {
  WorkerRow w = worker("");
  w.certs_path = "/etc/ssl/certs";
  w.http_proxy_url = "http://proxy:3128";
  w.no_proxy = "localhost";
  w.active_containers = 3;
  w.active_tasks = 1;
  w.tags = {"gpu", "", "big"};
  w.resource_types = {{"git", "/rt/git/rootfs.tgz", "1.2", true, false},
                      {"time", "/rt/time", "0.1", false, true}};
  w.start_time = 1700000000;
  auto saved = workers_->save(w, 60s);
  EXPECT_EQ(saved.name, "10.0.0.1:7777") << "name defaults to addr";
  EXPECT_EQ(saved.state, "running");
  ASSERT_TRUE(saved.expires.has_value());
  EXPECT_NEAR(static_cast<double>(*saved.expires), static_cast<double>(now() + 60), 2);
  auto got = workers_->get(saved.name);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->certs_path, "/etc/ssl/certs");
  EXPECT_EQ(got->http_proxy_url, "http://proxy:3128");
  EXPECT_EQ(got->no_proxy, "localhost");
  EXPECT_EQ(got->active_containers, 3);
  EXPECT_EQ(got->active_tasks, 1);
  EXPECT_EQ(got->tags, (std::vector<std::string>{"gpu", "big"}));
  ASSERT_EQ(got->resource_types.size(), 2u);
  EXPECT_EQ(got->resource_types[0].image, "/rt/git/rootfs.tgz");
  EXPECT_TRUE(got->resource_types[0].privileged);
  EXPECT_TRUE(got->resource_types[1].unique_version_history);
  EXPECT_EQ(got->start_time, 1700000000);
  EXPECT_EQ(got->version, "2.5");
  EXPECT_EQ(got->team, "");
  EXPECT_FALSE(workers_->save(worker("w-no-ttl"), 0s).expires.has_value());
}

TEST_F(WorkersTest, SaveConflictsAcrossTeams) {
  Teams(*db_).save("other", {});
  workers_->save(worker("global"), 30s);
  workers_->save(worker("mine", "main"), 30s);
  EXPECT_EQ(error_code([&] { workers_->save(worker("global", "main"), 30s); }), CC_E_CONFLICT);
  EXPECT_EQ(error_code([&] { workers_->save(worker("mine"), 30s); }), CC_E_CONFLICT);
  EXPECT_EQ(error_code([&] { workers_->save(worker("mine", "other"), 30s); }), CC_E_CONFLICT);
  EXPECT_EQ(workers_->get("mine")->team, "main");
  auto again = worker("mine", "main");
  again.addr = "10.0.0.2:7777";
  EXPECT_EQ(workers_->save(again, 30s).addr, "10.0.0.2:7777");
  EXPECT_EQ(error_code([&] { workers_->save(worker("w", "nope"), 30s); }), CC_E_INVALID);
}

TEST_F(WorkersTest, ReRegisteringALandedWorkerMakesItRunning) {
  workers_->save(worker("w"), 30s);
  workers_->land("w");
  workers_->collect(now());
  EXPECT_EQ(workers_->get("w")->state, "landed");
  EXPECT_EQ(workers_->save(worker("w"), 30s).state, "running");
}

TEST_F(WorkersTest, HeartbeatRevivesStalledButNotDraining) {
  auto w = worker("w");
  w.tags = {"a"};
  workers_->save(w, 1s);
  workers_->collect(now() + 100);
  EXPECT_EQ(workers_->get("w")->state, "stalled");
  auto hb = workers_->heartbeat("w", 60s, 7, 9);
  ASSERT_TRUE(hb);
  EXPECT_EQ(hb->state, "running");
  EXPECT_FALSE(hb->stalled_since.has_value());
  EXPECT_EQ(hb->active_containers, 7);
  EXPECT_EQ(hb->active_volumes, 9);
  EXPECT_EQ(hb->tags, std::vector<std::string>{"a"});
  ASSERT_TRUE(hb->expires);
  EXPECT_NEAR(static_cast<double>(*hb->expires), static_cast<double>(now() + 60), 2);

  workers_->land("w");
  EXPECT_EQ(workers_->heartbeat("w", 60s, 0, 0)->state, "landing");
  workers_->retire("w");
  EXPECT_EQ(workers_->heartbeat("w", 60s, 0, 0)->state, "retiring");
  EXPECT_FALSE(workers_->heartbeat("gone", 60s, 0, 0));
}

TEST_F(WorkersTest, CollectStallsOnlyExpiredRunningWorkers) {
  workers_->save(worker("expired"), 10s);
  workers_->save(worker("fresh"), 1000s);
  workers_->save(worker("no-ttl"), 0s);
  workers_->save(worker("landing"), 10s);
  workers_->land("landing");
  build_on("landing", true, false, false);  // keeps it landing
  int64_t at = now() + 100;
  auto changed = workers_->collect(at);
  EXPECT_EQ(changed, std::vector<std::string>{"expired"});
  auto w = workers_->get("expired");
  EXPECT_EQ(w->state, "stalled");
  EXPECT_FALSE(w->expires.has_value());
  EXPECT_EQ(w->stalled_since, at);
  EXPECT_EQ(workers_->get("fresh")->state, "running");
  EXPECT_EQ(workers_->get("no-ttl")->state, "running");
  EXPECT_EQ(workers_->get("landing")->state, "landing");
  EXPECT_TRUE(workers_->collect(at).empty());
}

TEST_F(WorkersTest, CollectDeletesExpiredEphemeralWorkersInAnyState) {
  auto e = worker("eph");
  e.ephemeral = true;
  workers_->save(e, 10s);
  auto e2 = worker("eph-landing");
  e2.ephemeral = true;
  workers_->save(e2, 10s);
  workers_->land("eph-landing");
  build_on("eph-landing", false, false, false);
  auto alive = worker("eph-alive");
  alive.ephemeral = true;
  workers_->save(alive, 1000s);
  workers_->collect(now() + 100);
  EXPECT_FALSE(workers_->get("eph"));
  EXPECT_FALSE(workers_->get("eph-landing"));
  EXPECT_TRUE(workers_->get("eph-alive"));
}

TEST_F(WorkersTest, CollectLandsAndRetiresIdleWorkers) {
  workers_->save(worker("l"), 1000s);
  workers_->save(worker("r"), 1000s);
  EXPECT_TRUE(workers_->land("l"));
  EXPECT_TRUE(workers_->retire("r"));
  EXPECT_FALSE(workers_->land("unknown"));
  EXPECT_FALSE(workers_->retire("unknown"));
  auto changed = workers_->collect(now());
  std::sort(changed.begin(), changed.end());
  EXPECT_EQ(changed, (std::vector<std::string>{"l", "r"}));
  auto l = workers_->get("l");
  EXPECT_EQ(l->state, "landed");
  EXPECT_EQ(l->addr, "");
  EXPECT_EQ(l->baggageclaim_url, "");
  EXPECT_FALSE(workers_->get("r"));
  EXPECT_TRUE(workers_->land("l"));
  EXPECT_EQ(workers_->get("l")->state, "landed") << "landing a landed worker keeps it landed";
}

TEST_F(WorkersTest, DrainWaitsForUninterruptibleBuilds) {
  workers_->save(worker("l"), 1000s);
  workers_->save(worker("r"), 1000s);
  int64_t b1 = build_on("l", false, false, false);  // job build, not interruptible
  int64_t b2 = build_on("r", true, true, false);    // one-off
  build_on("l", false, true, false);                // interruptible: never blocks
  build_on("r", false, false, true);                // finished: never blocks
  workers_->land("l");
  workers_->retire("r");
  EXPECT_TRUE(workers_->collect(now()).empty());
  EXPECT_EQ(workers_->get("l")->state, "landing");
  EXPECT_EQ(workers_->get("r")->state, "retiring");
  db_->exec("UPDATE builds SET completed = true, status = 'succeeded' WHERE id = $1::bigint",
            {std::to_string(b1)});
  EXPECT_EQ(workers_->collect(now()), std::vector<std::string>{"l"});
  EXPECT_EQ(workers_->get("r")->state, "retiring");
  db_->exec("UPDATE builds SET completed = true WHERE id = $1::bigint", {std::to_string(b2)});
  EXPECT_EQ(workers_->collect(now()), std::vector<std::string>{"r"});
  EXPECT_FALSE(workers_->get("r"));
  EXPECT_TRUE(Artifacts(*db_, ArtifactKind::Container).list_for_worker("r").empty());
}

TEST_F(WorkersTest, PruneOnlyNonRunningWorkers) {
  workers_->save(worker("run"), 10s);
  workers_->save(worker("stall"), 10s);
  workers_->collect(now() + 100);  // both stall
  workers_->heartbeat("run", 60s, 0, 0);
  EXPECT_EQ(error_code([&] { workers_->prune("run"); }), CC_E_CONFLICT);
  EXPECT_TRUE(workers_->get("run"));
  EXPECT_TRUE(workers_->prune("stall"));
  EXPECT_FALSE(workers_->get("stall"));
  EXPECT_FALSE(workers_->prune("stall"));
  EXPECT_TRUE(workers_->remove("run"));
  EXPECT_FALSE(workers_->remove("run"));
}

TEST_F(WorkersTest, ListIsOrderedByName) {
  for (const char* n : {"c", "a", "b"})
    workers_->save(worker(n), 0s);
  std::vector<std::string> names;
  for (const auto& w : workers_->list())
    names.push_back(w.name);
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b", "c"}));
}

TEST_F(WorkersTest, DeletingATeamDeletesItsWorkers) {
  Teams(*db_).save("t", {});
  workers_->save(worker("tw", "t"), 0s);
  Teams(*db_).remove("t");
  EXPECT_FALSE(workers_->get("tw"));
}

}  // namespace
}  // namespace concourse::atc::db::testing
