// Container and volume rows and the report protocol of reference §8.1.
#include "atc/db/artifacts.hpp"

#include "atc/db/teams.hpp"
#include "atc/db/workers.hpp"
#include "db_fixture.hpp"

namespace concourse::atc::db::testing {
namespace {

class ArtifactsTest : public DbTest {
 protected:
  void SetUp() override {
    DbTest::SetUp();
    for (const char* n : {"w1", "w2"}) {
      WorkerRow w;
      w.name = n;
      w.addr = std::string(n) + ":7777";
      Workers(*db_).save(w, std::chrono::seconds(0));
    }
  }
  void put(ArtifactKind kind, const std::string& handle, const std::string& state,
           const std::string& worker = "w1", std::optional<int64_t> missing = std::nullopt) {
    ArtifactRow a;
    a.handle = handle;
    a.worker_name = worker;
    a.state = state;
    a.missing_since = missing;
    Artifacts(*db_, kind).save(a);
  }
  std::optional<ArtifactRow> get(const std::string& handle) {
    return Artifacts(*db_, ArtifactKind::Container).get(handle);
  }
};

TEST_F(ArtifactsTest, SaveGetListAndState) {
  Artifacts containers(*db_, ArtifactKind::Container);
  ArtifactRow a;
  a.handle = "h1";
  a.worker_name = "w1";
  a.state = "creating";
  a.team = "main";
  a.type = "check";
  containers.save(a);
  auto got = containers.get("h1");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->team, "main");
  EXPECT_EQ(got->type, "check");
  EXPECT_EQ(got->build_id, 0);
  EXPECT_FALSE(got->missing_since);
  EXPECT_EQ(containers.list_for_team("main").size(), 1u);
  EXPECT_TRUE(containers.list_for_team("other").empty());
  EXPECT_EQ(containers.list_for_worker("w1").size(), 1u);
  EXPECT_TRUE(containers.set_state("h1", "destroying"));
  EXPECT_FALSE(containers.set_state("nope", "destroying"));
  EXPECT_EQ(containers.destroying("w1"), std::vector<std::string>{"h1"});
  EXPECT_TRUE(containers.destroying("w2").empty());
  EXPECT_EQ(error_code([&] { containers.set_state("h1", "exploded"); }), CC_E_INVALID);
  a.team = "ghosts";
  EXPECT_EQ(error_code([&] { containers.save(a); }), CC_E_INVALID);
  EXPECT_TRUE(Artifacts(*db_, ArtifactKind::Volume).list_for_worker("w1").empty())
      << "volumes and containers share a table";
}

TEST_F(ArtifactsTest, ReportInsertsUnknownHandlesAsDestroying) {
  put(ArtifactKind::Container, "known", "created");
  Artifacts(*db_, ArtifactKind::Container).report("w1", {"known", "stray"}, 1000);
  auto stray = get("stray");
  ASSERT_TRUE(stray);
  EXPECT_EQ(stray->state, "destroying");
  EXPECT_EQ(stray->worker_name, "w1");
  EXPECT_EQ(get("known")->state, "created");
  // The next report without it confirms the destruction.
  Artifacts(*db_, ArtifactKind::Container).report("w1", {"known"}, 1030);
  EXPECT_FALSE(get("stray"));
}

TEST_F(ArtifactsTest, ReportTracksMissingSince) {
  put(ArtifactKind::Container, "present", "created", "w1", 500);
  put(ArtifactKind::Container, "gone", "created");
  put(ArtifactKind::Container, "gone-failed", "failed");
  put(ArtifactKind::Container, "being-made", "creating");
  put(ArtifactKind::Container, "elsewhere", "created", "w2");
  Artifacts c(*db_, ArtifactKind::Container);
  c.report("w1", {"present"}, 1000);
  EXPECT_FALSE(get("present")->missing_since);
  EXPECT_EQ(get("gone")->missing_since, 1000);
  EXPECT_EQ(get("gone-failed")->missing_since, 1000);
  EXPECT_FALSE(get("being-made")->missing_since);
  EXPECT_FALSE(get("elsewhere")->missing_since);
  c.report("w1", {"present"}, 2000);
  EXPECT_EQ(get("gone")->missing_since, 1000) << "grace runs from the first miss";
  c.report("w1", {"present", "gone"}, 3000);
  EXPECT_FALSE(get("gone")->missing_since);
}

TEST_F(ArtifactsTest, ReportDeletesDestroyingRowsTheWorkerNoLongerHas) {
  put(ArtifactKind::Volume, "v-destroyed", "destroying");
  put(ArtifactKind::Volume, "v-pending", "destroying");
  put(ArtifactKind::Volume, "v-other-worker", "destroying", "w2");
  Artifacts v(*db_, ArtifactKind::Volume);
  v.report("w1", {"v-pending"}, 1000);
  EXPECT_FALSE(v.get("v-destroyed"));
  EXPECT_TRUE(v.get("v-pending"));
  EXPECT_TRUE(v.get("v-other-worker"));
  EXPECT_EQ(v.destroying("w1"), std::vector<std::string>{"v-pending"});
  v.report("w1", {}, 1001);
  EXPECT_TRUE(v.list_for_worker("w1").empty());
}

TEST_F(ArtifactsTest, ReportForUnknownWorkerIsInvalid) {
  EXPECT_EQ(error_code([&] { Artifacts(*db_, ArtifactKind::Container).report("ghost", {"h"}, 1); }),
            CC_E_INVALID);
}

}  // namespace
}  // namespace concourse::atc::db::testing
