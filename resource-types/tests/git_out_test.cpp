#include "harness.hpp"

using namespace rt_test;

namespace {

const std::string kGit = GIT_RESOURCE_BIN;

// A bare "remote", a clone of it in the put directory (as a get step would leave it), and a
// second clone to simulate someone else pushing concurrently.
class GitOut : public ::testing::Test {
 protected:
  void SetUp() override {
    remote_ = dir_ / "remote.git";
    git(dir_.path(), {"init", "-q", "--bare", "-b", "main", remote_.string()});
    fs::path seed = dir_ / "seed";
    git(dir_.path(), {"clone", "-q", remote_.string(), seed.string()});
    base_ = commit_file(seed, "README", "base", "base");
    git(seed, {"push", "-q", "origin", "HEAD:main"});
    put_ = dir_ / "put";
    fs::create_directories(put_);
    git(put_, {"clone", "-q", remote_.string(), "repo"});
    other_ = seed;
  }
  json source() const { return {{"uri", "file://" + remote_.string()}, {"branch", "main"}}; }
  Outcome put(json params) {
    return run_resource(kGit, "out", {{"source", source()}, {"params", params}}, {put_.string()});
  }

  ScratchDir dir_;
  fs::path remote_, put_, other_;
  std::string base_;
};

}  // namespace

TEST_F(GitOut, PushesTheCommitAndReportsIt) {
  std::string mine = commit_file(put_ / "repo", "a.txt", "a", "my change");
  auto r = put({{"repository", "repo"}});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.result["version"], json({{"ref", mine}}));
  EXPECT_EQ(metadata_value(r.result["metadata"], "commit"), mine);
  EXPECT_EQ(git(remote_, {"rev-parse", "main"}), mine);
  // The next check of the same branch starts from what was pushed.
  auto c = run_resource(kGit, "check", {{"source", source()}, {"version", {{"ref", mine}}}});
  ASSERT_EQ(c.rc, 0) << c.err;
  EXPECT_EQ(refs_of(c.result), std::vector<std::string>{mine});
}

TEST_F(GitOut, RejectedPushFailsWithoutRebase) {
  commit_file(other_, "other.txt", "o", "someone else");
  git(other_, {"push", "-q", "origin", "HEAD:main"});
  commit_file(put_ / "repo", "a.txt", "a", "my change");
  auto r = put({{"repository", "repo"}});
  EXPECT_NE(r.rc, 0);
}

TEST_F(GitOut, RebaseOntoConcurrentPush) {
  std::string theirs = commit_file(other_, "other.txt", "o", "someone else");
  git(other_, {"push", "-q", "origin", "HEAD:main"});
  commit_file(put_ / "repo", "a.txt", "a", "my change");
  auto r = put({{"repository", "repo"}, {"rebase", true}});
  ASSERT_EQ(r.rc, 0) << r.err;
  std::string pushed = r.result["version"]["ref"];
  EXPECT_EQ(git(remote_, {"rev-parse", "main"}), pushed);
  EXPECT_EQ(git(remote_, {"rev-parse", "main~1"}), theirs);
  EXPECT_EQ(git(remote_, {"log", "-1", "--format=%s", "main"}), "my change");
}

TEST_F(GitOut, MergeOntoConcurrentPushCanReturnTheUnmergedCommit) {
  std::string theirs = commit_file(other_, "other.txt", "o", "someone else");
  git(other_, {"push", "-q", "origin", "HEAD:main"});
  std::string mine = commit_file(put_ / "repo", "a.txt", "a", "my change");
  auto r = put({{"repository", "repo"}, {"merge", true}, {"returning", "unmerged"}});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.result["version"]["ref"], mine);
  EXPECT_EQ(git(remote_, {"rev-list", "--parents", "-n", "1", "main"}).size(), 3 * 40 + 2u);
}

TEST_F(GitOut, TagsWithPrefixAndAnnotation) {
  std::string mine = commit_file(put_ / "repo", "a.txt", "a", "release");
  concourse::resource::write_file(put_ / "version", "1.2.3\n");
  concourse::resource::write_file(put_ / "notes", "release notes");
  auto r =
      put({{"repository", "repo"}, {"tag", "version"}, {"tag_prefix", "v"}, {"annotate", "notes"}});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(git(remote_, {"rev-parse", "v1.2.3^{commit}"}), mine);
  EXPECT_EQ(git(remote_, {"cat-file", "-t", "v1.2.3"}), "tag");
  EXPECT_EQ(metadata_value(r.result["metadata"], "tags"), "v1.2.3");
}

TEST_F(GitOut, OnlyTagPushesNoBranch) {
  commit_file(put_ / "repo", "a.txt", "a", "unpushed");
  concourse::resource::write_file(put_ / "tagname", "t1");
  auto r =
      run_resource(kGit, "out",
                   {{"source", {{"uri", "file://" + remote_.string()}}},
                    {"params", {{"repository", "repo"}, {"tag", "tagname"}, {"only_tag", true}}}},
                   {put_.string()});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(git(remote_, {"rev-parse", "main"}), base_);
  EXPECT_EQ(git(remote_, {"rev-parse", "t1"}), git(put_ / "repo", {"rev-parse", "HEAD"}));
}

TEST_F(GitOut, ValidatesParams) {
  EXPECT_NE(put(json::object()).rc, 0);
  EXPECT_NE(put({{"repository", "repo"}, {"merge", true}, {"rebase", true}}).rc, 0);
  EXPECT_NE(put({{"repository", "repo"}, {"tag", "no-such-file"}}).rc, 0);
}
