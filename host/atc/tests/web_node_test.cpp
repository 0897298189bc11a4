// Several web nodes on one database: tokens and workers are shared, the collector runs on one
// node at a time.
#include <thread>

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

}  // namespace
}  // namespace concourse::atc::testing
