// Pipelines, jobs, resources, builds and build events against a real PostgreSQL.
#include "atc/db/artifacts.hpp"
#include "atc/db/builds.hpp"
#include "atc/db/pipelines.hpp"
#include "atc/db/resources.hpp"
#include "atc/db/worker_artifacts.hpp"
#include "atc/db/workers.hpp"
#include "db_fixture.hpp"

namespace concourse::atc::db::testing {
namespace {

using nlohmann::json;

SavedPipeline save_basic(Pipelines& p, std::optional<int64_t> version = std::nullopt) {
  return p.save("main", "ci", json{{"jobs", json::array()}}, version,
                {{"build", json{{"name", "build"}}}},
                {{"repo", "git", json{{"name", "repo"}}, std::nullopt}});
}

TEST_F(DbTest, NewPipelinesArePausedAndUpdatesNeedTheCurrentVersion) {
  Pipelines pipelines(*db_);
  auto first = save_basic(pipelines);
  EXPECT_TRUE(first.created);
  EXPECT_TRUE(first.pipeline.paused);
  EXPECT_EQ(first.pipeline.config_version, 1);
  EXPECT_EQ(error_code([&] { save_basic(pipelines); }), CC_E_CONFLICT);
  EXPECT_EQ(error_code([&] { save_basic(pipelines, 7); }), CC_E_CONFLICT);
  auto second = save_basic(pipelines, 1);
  EXPECT_FALSE(second.created);
  EXPECT_EQ(second.pipeline.config_version, 2);
  EXPECT_EQ(pipelines.jobs(second.pipeline.id).size(), 1u);
  EXPECT_EQ(error_code([&] { pipelines.save("nope", "x", json::object(), std::nullopt, {}, {}); }),
            CC_E_NOT_FOUND);
}

TEST_F(DbTest, RemovedJobsDisappearAndComeBackWithTheirBuildNumbers) {
  Pipelines pipelines(*db_);
  Builds builds(*db_);
  auto p = save_basic(pipelines).pipeline;
  auto job = pipelines.job(p.id, "build");
  ASSERT_TRUE(job);
  EXPECT_EQ(builds.create_job_build(job->id, json::object(), {}).name, "1");
  pipelines.save("main", "ci", json::object(), 1, {}, {});
  EXPECT_FALSE(pipelines.job(p.id, "build"));
  save_basic(pipelines, 2);
  EXPECT_EQ(builds.create_job_build(job->id, json::object(), {}).name, "2");
}

TEST_F(DbTest, BuildLifecycleAndEvents) {
  Pipelines pipelines(*db_);
  Builds builds(*db_);
  auto p = save_basic(pipelines).pipeline;
  auto job = *pipelines.job(p.id, "build");
  auto b = builds.create_job_build(job.id, json{{"id", "1"}}, {});
  EXPECT_EQ(b.status, "pending");
  EXPECT_EQ(b.job, "build");
  EXPECT_EQ(b.pipeline, "ci");
  builds.start(b.id, "node-a");
  EXPECT_EQ(builds.append_event(b.id, "log", json{{"payload", "a"}}), 0);
  EXPECT_EQ(builds.append_event(b.id, "log", json{{"payload", "b"}}), 1);
  auto evs = builds.events_after(b.id, 0);
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].payload["payload"], "b");
  builds.finish(b.id, "succeeded");
  auto done = *builds.get(b.id);
  EXPECT_TRUE(done.completed);
  EXPECT_EQ(done.status, "succeeded");
  EXPECT_GT(done.end_time, 0);
  auto one_off = builds.create_one_off("main", json::object());
  EXPECT_EQ(one_off.name, std::to_string(one_off.id));
  EXPECT_EQ(builds.list(BuildFilter{}).size(), 2u);
  BuildFilter by_job;
  by_job.job_id = job.id;
  EXPECT_EQ(builds.list(by_job).size(), 1u);
}

TEST_F(DbTest, LostBuildsOfANodeAreErroredWithAnEvent) {
  Builds builds(*db_);
  auto mine = builds.create_one_off("main", json::object());
  auto theirs = builds.create_one_off("main", json::object());
  builds.start(mine.id, "node-a");
  builds.start(theirs.id, "node-b");
  auto lost = builds.error_lost_builds("node-a", "build lost");
  ASSERT_EQ(lost, std::vector<int64_t>{mine.id});
  EXPECT_EQ(builds.get(mine.id)->status, "errored");
  EXPECT_EQ(builds.get(theirs.id)->status, "started");
  auto evs = builds.events_after(mine.id, -1);
  ASSERT_EQ(evs.size(), 2u);
  EXPECT_EQ(evs[0].type, "error");
  EXPECT_EQ(evs[1].payload["status"], "errored");
}

TEST_F(DbTest, AbortingAPendingBuildEndsIt) {
  Builds builds(*db_);
  auto b = builds.create_one_off("main", json::object());
  EXPECT_TRUE(builds.request_abort(b.id));
  EXPECT_EQ(builds.get(b.id)->status, "aborted");
  EXPECT_FALSE(builds.request_abort(b.id + 100));
}

TEST_F(DbTest, LogRetentionKeepsTheNewestBuilds) {
  Pipelines pipelines(*db_);
  Builds builds(*db_);
  auto p = save_basic(pipelines).pipeline;
  auto job = *pipelines.job(p.id, "build");
  std::vector<int64_t> ids;
  for (int i = 0; i < 3; ++i) {
    auto b = builds.create_job_build(job.id, json::object(), {});
    builds.append_event(b.id, "log", json::object());
    builds.finish(b.id, "succeeded");
    ids.push_back(b.id);
  }
  EXPECT_EQ(builds.retain_logs(job.id, 1), 2u);
  EXPECT_TRUE(builds.events_after(ids[0], -1).empty());
  EXPECT_EQ(builds.events_after(ids[2], -1).size(), 1u);
}

TEST_F(DbTest, VersionsPinsAndCheckRequests) {
  Pipelines pipelines(*db_);
  Resources resources(*db_);
  auto p = save_basic(pipelines).pipeline;
  auto r = *resources.get(p.id, "repo");
  EXPECT_FALSE(resources.latest_enabled(r.id));
  auto v1 = resources.save_version(r.id, json{{"ref", "a"}}, json::array());
  auto v2 = resources.save_version(r.id, json{{"ref", "b"}}, json::array());
  EXPECT_EQ(resources.latest_enabled(r.id)->id, v2.id);
  EXPECT_TRUE(resources.set_version_enabled(r.id, v2.id, false));
  EXPECT_EQ(resources.latest_enabled(r.id)->id, v1.id);
  EXPECT_TRUE(resources.set_version_enabled(r.id, v2.id, true));
  EXPECT_TRUE(resources.pin(r.id, v1.id));
  EXPECT_TRUE(resources.set_pin_comment(r.id, "hold"));
  auto pinned = *resources.get(p.id, "repo");
  EXPECT_EQ(pinned.pinned_version, json({{"ref", "a"}}));
  EXPECT_EQ(pinned.pin_comment, "hold");
  EXPECT_EQ(resources.latest_enabled(r.id)->id, v1.id);
  EXPECT_TRUE(resources.unpin(r.id));
  EXPECT_EQ(resources.versions(r.id).front().id, v2.id);
  EXPECT_GT(resources.request_check(r.id, json()), 0);
}

}  // namespace
// Concourse keeps a failed job build's containers for fly intercept until the job's next build
// starts; succeeded and one-off builds give theirs up when they finish.
TEST_F(DbTest, FailedJobBuildsKeepTheirContainersUntilTheNextBuildStarts) {
  Pipelines pipelines(*db_);
  Builds builds(*db_);
  WorkerRow w;
  w.name = "w1";
  w.addr = "w1:7777";
  Workers(*db_).save(w, std::chrono::seconds(0));
  auto job = *pipelines.job(save_basic(pipelines).pipeline.id, "build");
  Artifacts containers(*db_, ArtifactKind::Container);
  auto own = [&](const std::string& handle, int64_t build_id) {
    ArtifactRow a;
    a.handle = handle;
    a.worker_name = "w1";
    a.state = "created";
    a.team = "main";
    a.build_id = build_id;
    a.type = "task";
    containers.save(a);
  };
  auto state = [&](const std::string& h) { return containers.get(h)->state; };

  auto failed = builds.create_job_build(job.id, json::object(), {});
  builds.start(failed.id, "node-a");
  own("failed", failed.id);
  auto one_off = builds.create_one_off("main", json::object());
  builds.start(one_off.id, "node-a");
  own("one-off", one_off.id);
  EXPECT_EQ(containers.release_uninterceptible(), 0u) << "running builds keep everything";

  builds.finish(failed.id, "failed");
  builds.finish(one_off.id, "failed");
  EXPECT_EQ(containers.release_uninterceptible(), 1u);
  EXPECT_EQ(state("one-off"), "destroying");
  EXPECT_EQ(state("failed"), "created") << "the job's latest build failed: interceptible";

  auto next = builds.create_job_build(job.id, json::object(), {});
  EXPECT_EQ(containers.release_uninterceptible(job.id), 0u) << "a pending build is not started";
  builds.start(next.id, "node-a");
  own("next", next.id);
  EXPECT_EQ(containers.release_uninterceptible(job.id + 1), 0u) << "another job's builds only";
  EXPECT_EQ(containers.release_uninterceptible(job.id), 1u);
  EXPECT_EQ(state("failed"), "destroying");
  builds.finish(next.id, "succeeded");
  EXPECT_EQ(containers.release_uninterceptible(), 1u);
  EXPECT_EQ(state("next"), "destroying");

  auto last = builds.create_job_build(job.id, json::object(), {});
  builds.start(last.id, "node-a");
  own("orphan", last.id);
  builds.finish(last.id, "errored");
  ASSERT_TRUE(pipelines.remove("main", "ci"));
  EXPECT_EQ(containers.release_uninterceptible(), 1u) << "its build went with the pipeline";
  EXPECT_EQ(state("orphan"), "destroying");
}

// fly execute's artifacts: ids any web node resolves, a one-off's outputs listed by build, kept
// past the build's end (downloads come after it), gone once expired.
TEST_F(DbTest, WorkerArtifactsOutliveTheirOneOffBuildUntilTheyExpire) {
  WorkerRow w;
  w.name = "w1";
  w.addr = "w1:7777";
  Workers(*db_).save(w, std::chrono::seconds(0));
  Builds builds(*db_);
  WorkerArtifacts artifacts(*db_);
  auto upload = artifacts.add({0, "", "main", "w1", "vol-up", 0, 0}, 100);
  EXPECT_GT(upload.id, 0);
  EXPECT_EQ(upload.created_at, 100);
  auto b = builds.create_one_off("main", json::object());
  builds.start(b.id, "node-a");
  auto out = artifacts.add({0, "out", "main", "w1", "vol-out", b.id, 0}, 200);
  ArtifactRow row;
  row.handle = "vol-out";
  row.worker_name = "w1";
  row.state = "created";
  row.team = "main";
  row.build_id = b.id;
  row.type = "artifact";
  Artifacts volumes(*db_, ArtifactKind::Volume);
  volumes.save(row);
  builds.finish(b.id, "succeeded");
  EXPECT_EQ(volumes.release_uninterceptible(), 0u) << "an output must survive until downloaded";

  auto got = artifacts.get(upload.id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->team, "main");
  EXPECT_EQ(got->volume, "vol-up");
  EXPECT_EQ(got->build_id, 0);
  auto listed = artifacts.for_build(b.id);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].id, out.id);
  EXPECT_EQ(listed[0].name, "out");
  EXPECT_FALSE(artifacts.get(out.id + 100));
  EXPECT_EQ(error_code([&] {
              artifacts.add({0, "", "ghosts", "w1", "v", 0, 0}, 1);
            }),
            CC_E_INVALID);
  EXPECT_EQ(artifacts.expire(150), std::vector<std::string>{"vol-up"});
  EXPECT_FALSE(artifacts.get(upload.id));
  EXPECT_TRUE(artifacts.get(out.id));
}

}  // namespace concourse::atc::db::testing
