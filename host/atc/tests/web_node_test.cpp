// Several web nodes on one database: tokens and workers are shared, the collector runs on one
// node at a time.
#include <thread>

#include "atc/db/builds.hpp"
#include "atc/db/web_nodes.hpp"
#include "web_fixture.hpp"

namespace concourse::atc::testing {
namespace {

TEST_F(WebTest, TwoNodesShareWorkersAndTokens) {
  WebNode second(node_options(params_), concourse::log::Logger("web-2"));
  second.start();
  // A token issued by the first node works on the second: tokens live in the database.
  Api system2{second.api_port(), system_.token};
  ASSERT_EQ(system_("POST", "/api/v1/workers?ttl=1m0s", worker_body("w1").dump()).status, 200);
  auto r = system2("PUT", "/api/v1/workers/w1/heartbeat?ttl=1m0s", worker_body("w1").dump());
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(system2("POST", "/api/v1/workers?ttl=1m0s", worker_body("w2").dump()).status, 200);
  for (const auto* api : {&system_, &system2}) {
    auto list = json::parse((*api)("GET", "/api/v1/workers").body);
    EXPECT_EQ(list.size(), 2u);
  }
  // Either node's own secret gets a system token from it.
  EXPECT_FALSE(system_token(second).empty());
}

TEST_F(WebTest, CollectorStallsExpiredWorkers) {
  ASSERT_EQ(system_("POST", "/api/v1/workers?ttl=1s", worker_body("w1").dump()).status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  ASSERT_TRUE(node_->collect_once());
  auto list = json::parse(admin_("GET", "/api/v1/workers").body);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["state"], "stalled");
  // A heartbeat brings it back.
  auto r = system_("PUT", "/api/v1/workers/w1/heartbeat?ttl=1m0s", worker_body("w1").dump());
  EXPECT_EQ(json::parse(r.body)["state"], "running");
}

TEST_F(WebTest, CollectorRunsOnOneNodeAtATime) {
  WebNode second(node_options(params_), concourse::log::Logger("web-2"));
  second.start();
  auto other = db::Database::open(params_, concourse::log::Logger("db"), false);
  // While some session holds the collector lock, neither node collects.
  bool held = other->with_advisory_lock(db::kLockWorkerCollector, [&] {
    EXPECT_FALSE(node_->collect_once());
    EXPECT_FALSE(second.collect_once());
  });
  ASSERT_TRUE(held);
  EXPECT_TRUE(node_->collect_once());
  EXPECT_TRUE(second.collect_once());

  // Racing nodes: each pass that ran had the lock to itself, so the two counters together
  // never exceed the number of attempts, and at least one ran every round.
  uint64_t before = node_->collections_run() + second.collections_run();
  for (int i = 0; i < 20; ++i) {
    std::atomic<int> ran{0};
    std::thread a([&] { ran += node_->collect_once() ? 1 : 0; });
    std::thread b([&] { ran += second.collect_once() ? 1 : 0; });
    a.join();
    b.join();
    EXPECT_GE(ran.load(), 1);
  }
  EXPECT_GE(node_->collections_run() + second.collections_run(), before + 20);
}

TEST_F(WebTest, PeriodicCollectorRuns) {
  auto o = node_options(params_);
  o.gc_interval = std::chrono::milliseconds(100);
  WebNode fast(o, concourse::log::Logger("web-fast"));
  fast.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  EXPECT_GE(fast.collections_run(), 2u);
  fast.stop();
  uint64_t after = fast.collections_run();
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  EXPECT_EQ(fast.collections_run(), after);
}

// A node that died without stopping stops renewing its lease: a live node errors the builds it
// was running (saying why) and hands the pending builds it had claimed back to the scheduler.
TEST_F(WebTest, ADeadNodesBuildsAreErroredAndItsClaimsReleased) {
  auto& db = node_->database();
  db::Builds builds(db);
  auto running = builds.create_one_off("main", json::object());
  builds.start(running.id, "dead-node");
  auto claimed = builds.create_one_off("main", json::object());
  db.exec("UPDATE builds SET claimed_by = 'dead-node' WHERE id = $1", {std::to_string(claimed.id)});
  auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  db::WebNodes(db).renew("dead-node", now_ms - 60'000);

  auto o = node_options(params_);
  o.lease_interval = std::chrono::milliseconds(100);
  o.lease_ttl = std::chrono::seconds(30);
  WebNode second(o, concourse::log::Logger("web-2"));
  second.start();  // its first renewal sweeps expired peers

  auto r = builds.get(running.id);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, "errored");
  EXPECT_TRUE(r->completed);
  auto events = builds.events_after(running.id, -1);
  bool said_why = false;
  for (const auto& e : events)
    if (e.type == "error" && e.payload.value("message", "").find("dead-node") != std::string::npos)
      said_why = true;
  EXPECT_TRUE(said_why);
  EXPECT_EQ(
      db.exec("SELECT claimed_by, status FROM builds WHERE id = $1", {std::to_string(claimed.id)})
          .get(0, 0),
      "");
  EXPECT_EQ(builds.get(claimed.id)->status, "pending");
  // The live nodes keep their leases (the first node renews far less often than the ttl).
  EXPECT_EQ(db.exec("SELECT count(*) FROM web_nodes").get_int(0, 0), 2);
  second.stop();
  EXPECT_EQ(db.exec("SELECT count(*) FROM web_nodes").get_int(0, 0), 1);
}

}  // namespace
}  // namespace concourse::atc::testing
