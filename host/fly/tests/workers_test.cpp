#include "fly/workers.hpp"

#include <gtest/gtest.h>

#include "fly/fly.hpp"

namespace concourse::fly {
namespace {

TEST(FlyFormatAge, MatchesFlyUnits) {
  const int64_t now = 1'700'000'000;
  EXPECT_EQ(format_age(now - 42, now), "42s");
  EXPECT_EQ(format_age(now - 300, now), "5m0s");
  EXPECT_EQ(format_age(now - 330, now), "5m30s");
  EXPECT_EQ(format_age(now - (2 * 3600 + 3 * 60 + 9), now), "2h3m");
  EXPECT_EQ(format_age(now - 86400, now), "1d");
  EXPECT_EQ(format_age(now - 3 * 86400 - 5000, now), "3d");
  EXPECT_EQ(format_age(now, now), "0s");
}

TEST(FlyFormatAge, UnknownOrFutureStartIsNA) {
  EXPECT_EQ(format_age(0, 1000), "n/a");
  EXPECT_EQ(format_age(-5, 1000), "n/a");
  EXPECT_EQ(format_age(2000, 1000), "n/a");
}

TEST(FlyWorkerVersion, SameMajorAndMinorNotLower) {
  EXPECT_TRUE(worker_version_compatible("2.5", "2.5"));
  EXPECT_TRUE(worker_version_compatible("2.6", "2.5"));
  EXPECT_TRUE(worker_version_compatible("2.10", "2.5"));
  EXPECT_TRUE(worker_version_compatible("2.5.1", "2.5"));
  EXPECT_FALSE(worker_version_compatible("2.4", "2.5"));
  EXPECT_FALSE(worker_version_compatible("3.0", "2.5"));
  EXPECT_FALSE(worker_version_compatible("1.9", "2.5"));
  EXPECT_FALSE(worker_version_compatible("", "2.5"));
  EXPECT_FALSE(worker_version_compatible("2.x", "2.5"));
  EXPECT_TRUE(worker_version_compatible("", ""));  // the ATC states no requirement
}

TEST(FlyWorkerJson, DecodesAtcWorker) {
  auto j = nlohmann::ordered_json::parse(R"({
    "addr": "10.0.0.1:7777", "baggageclaim_url": "http://10.0.0.1:7788",
    "active_containers": 4, "active_volumes": 9, "active_tasks": 1,
    "resource_types": [{"type": "git", "image": "/opt/git"}, {"type": "s3"}],
    "platform": "linux", "tags": ["gpu", "big"], "team": "ops", "name": "w1",
    "version": "2.5", "start_time": 123, "ephemeral": false, "state": "running"})");
  Worker w = worker_from_json(j);
  EXPECT_EQ(w.name, "w1");
  EXPECT_EQ(w.addr, "10.0.0.1:7777");
  EXPECT_EQ(w.baggageclaim_url, "http://10.0.0.1:7788");
  EXPECT_EQ(w.active_containers, 4);
  EXPECT_EQ(w.active_tasks, 1);
  EXPECT_EQ(w.tags, (std::vector<std::string>{"gpu", "big"}));
  EXPECT_EQ(w.resource_types, (std::vector<std::string>{"git", "s3"}));
  EXPECT_EQ(w.start_time, 123);
  EXPECT_EQ(worker_from_json(nlohmann::ordered_json::parse(R"({"tags": null})")).tags.size(), 0u);
  EXPECT_THROW(worker_from_json(nlohmann::ordered_json::array()), Failure);
}

Worker make(std::string name, std::string state, std::string version) {
  Worker w;
  w.name = std::move(name);
  w.state = std::move(state);
  w.version = std::move(version);
  return w;
}

TEST(FlyClassifyWorkers, SplitsRunningOutdatedStalled) {
  auto g = classify_workers({make("zeta", "running", "2.5"), make("old", "running", "2.4"),
                             make("gone", "stalled", "2.5"), make("alpha", "landing", "2.6"),
                             make("ancient", "stalled", "1.0"), make("none", "running", "")},
                            "2.5");
  ASSERT_EQ(g.running.size(), 2u);
  EXPECT_EQ(g.running[0].name, "alpha");  // sorted by name
  EXPECT_EQ(g.running[1].name, "zeta");
  ASSERT_EQ(g.outdated.size(), 2u);
  EXPECT_EQ(g.outdated[0].name, "none");
  EXPECT_EQ(g.outdated[1].name, "old");
  // Stalled wins over outdated: a worker that stopped heartbeating is listed as stalled.
  ASSERT_EQ(g.stalled.size(), 2u);
  EXPECT_EQ(g.stalled[0].name, "ancient");
  EXPECT_EQ(g.stalled[1].name, "gone");
}

}  // namespace
}  // namespace concourse::fly
