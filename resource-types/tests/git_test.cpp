#include "harness.hpp"

using namespace rt_test;

namespace {

const std::string kGit = GIT_RESOURCE_BIN;

class GitCheckIn : public ::testing::Test {
 protected:
  void SetUp() override {
    repo_ = dir_ / "repo";
    fs::create_directories(repo_);
    git(repo_, {"init", "-q", "-b", "main"});
    c1_ = commit_file(repo_, "README", "one", "first");
    c2_ = commit_file(repo_, "src/a.c", "int a;", "touch src");
    c3_ = commit_file(repo_, "docs/x.md", "doc", "docs only");
    c4_ = commit_file(repo_, "src/b.c", "int b;", "more src [ci skip]");
    c5_ = commit_file(repo_, "src/c.c", "int c;", "wip: experiment");
  }
  json source(json extra = json::object()) const {
    json s = {{"uri", "file://" + repo_.string()}, {"branch", "main"}};
    s.update(extra);
    return s;
  }
  Outcome check(json src, json version = nullptr) {
    json req = {{"source", src}};
    if (!version.is_null()) {
      req["version"] = version;
    }
    return run_resource(kGit, "check", req);
  }

  ScratchDir dir_;
  fs::path repo_;
  std::string c1_, c2_, c3_, c4_, c5_;
};

}  // namespace

TEST_F(GitCheckIn, FirstCheckReturnsOnlyTheLatestCommit) {
  auto r = check(source());
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(refs_of(r.result), std::vector<std::string>{c5_});
}

TEST_F(GitCheckIn, CheckFromAVersionListsItAndEverythingAfterOldestFirstSkippingCiSkip) {
  auto r = check(source(), {{"ref", c2_}});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(refs_of(r.result), (std::vector<std::string>{c2_, c3_, c5_}));
  auto all = check(source({{"disable_ci_skip", true}}), {{"ref", c2_}});
  EXPECT_EQ(refs_of(all.result), (std::vector<std::string>{c2_, c3_, c4_, c5_}));
  auto from_root = check(source(), {{"ref", c1_}});
  EXPECT_EQ(refs_of(from_root.result), (std::vector<std::string>{c1_, c2_, c3_, c5_}));
}

TEST_F(GitCheckIn, UnknownVersionFallsBackToLatest) {
  auto r = check(source(), {{"ref", std::string(40, 'a')}});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(refs_of(r.result), std::vector<std::string>{c5_});
}

TEST_F(GitCheckIn, PathsAndIgnorePathsFilterCommits) {
  auto src_only = check(source({{"paths", {"src"}}}), {{"ref", c1_}});
  ASSERT_EQ(src_only.rc, 0) << src_only.err;
  EXPECT_EQ(refs_of(src_only.result), (std::vector<std::string>{c2_, c5_}));
  auto no_docs = check(source({{"ignore_paths", {"docs"}}}), {{"ref", c2_}});
  EXPECT_EQ(refs_of(no_docs.result), (std::vector<std::string>{c2_, c5_}));
  auto latest_docs = check(source({{"paths", {"docs/*"}}}));
  EXPECT_EQ(refs_of(latest_docs.result), std::vector<std::string>{c3_});
}

TEST_F(GitCheckIn, CommitFiltersIncludeAndExclude) {
  auto excl = check(source({{"commit_filter", {{"exclude", {"^wip"}}}}}), {{"ref", c1_}});
  ASSERT_EQ(excl.rc, 0) << excl.err;
  EXPECT_EQ(refs_of(excl.result), (std::vector<std::string>{c1_, c2_, c3_}));
  auto incl = check(source({{"commit_filter", {{"include", {"src", "docs"}}}}}), {{"ref", c1_}});
  EXPECT_EQ(refs_of(incl.result), (std::vector<std::string>{c2_, c3_}));
  auto bad = check(source({{"commit_filter", {{"include", "src"}}}}));
  EXPECT_NE(bad.rc, 0);
}

TEST_F(GitCheckIn, CheckSeesNewCommitsThroughTheCache) {
  ASSERT_EQ(check(source()).rc, 0);
  std::string c6 = commit_file(repo_, "src/d.c", "int d;", "new work");
  auto r = check(source(), {{"ref", c5_}});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(refs_of(r.result), (std::vector<std::string>{c5_, c6}));
}

TEST_F(GitCheckIn, OtherBranchesAreSeparate) {
  git(repo_, {"checkout", "-q", "-b", "feature", c2_});
  std::string f1 = commit_file(repo_, "feature.txt", "f", "feature work");
  auto r = check(source({{"branch", "feature"}}));
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(refs_of(r.result), std::vector<std::string>{f1});
  EXPECT_EQ(refs_of(check(source()).result), std::vector<std::string>{c5_});
}

TEST_F(GitCheckIn, TagFilterEmitsMatchingTags) {
  git(repo_, {"tag", "v1.0.0", c2_});
  git(repo_, {"tag", "v1.1.0", c3_});
  git(repo_, {"tag", "other", c5_});
  auto r = check(source({{"tag_filter", "v*"}}));
  ASSERT_EQ(r.rc, 0) << r.err;
  ASSERT_EQ(r.result.size(), 1u);
  EXPECT_EQ(r.result[0], json({{"ref", "v1.1.0"}, {"commit", c3_}}));
  auto rx = check(source({{"tag_regex", "v1\\.0\\..*"}}));
  ASSERT_EQ(rx.rc, 0) << rx.err;
  EXPECT_EQ(rx.result, json::array({{{"ref", "v1.0.0"}, {"commit", c2_}}}));
  EXPECT_NE(check(source({{"tag_filter", "v*"}, {"tag_regex", "v.*"}})).rc, 0);
}

TEST_F(GitCheckIn, MissingUriIsAnError) {
  auto r = check(json::object());
  EXPECT_NE(r.rc, 0);
  EXPECT_NE(r.err.find("source.uri is required"), std::string::npos);
}

TEST_F(GitCheckIn, InClonesTheRefAndWritesGitInfoFiles) {
  git(repo_, {"tag", "v0.1", c3_});
  fs::path dest = dir_ / "get";
  auto r = run_resource(kGit, "in", {{"source", source()}, {"version", {{"ref", c3_}}}},
                        {dest.string()});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.result["version"], json({{"ref", c3_}}));
  using concourse::resource::read_file;
  EXPECT_TRUE(fs::exists(dest / "docs/x.md"));
  EXPECT_FALSE(fs::exists(dest / "src/b.c"));
  EXPECT_EQ(git(dest, {"rev-parse", "HEAD"}), c3_);
  EXPECT_EQ(read_file(dest / ".git/ref"), c3_ + "\n");
  EXPECT_EQ(read_file(dest / ".git/short_ref"), c3_.substr(0, 7));
  EXPECT_EQ(read_file(dest / ".git/commit_message"), "docs only\n");
  EXPECT_EQ(read_file(dest / ".git/committer"), "test@example.com");
  EXPECT_EQ(read_file(dest / ".git/committer_name"), "Test User");
  const json& md = r.result["metadata"];
  EXPECT_EQ(metadata_value(md, "commit"), c3_);
  EXPECT_EQ(metadata_value(md, "author"), "Test User");
  EXPECT_EQ(metadata_value(md, "committer"), "Test User");
  EXPECT_EQ(metadata_value(md, "message"), "docs only\n");
  EXPECT_EQ(metadata_value(md, "tags"), "v0.1");
  EXPECT_NE(metadata_value(md, "author_date"), "<absent>");
  EXPECT_EQ(json::parse(read_file(dest / ".git/metadata.json")), md);
}

TEST_F(GitCheckIn, InWithoutVersionTakesHeadAndBranchMetadata) {
  fs::path dest = dir_ / "get";
  auto r =
      run_resource(kGit, "in", {{"source", source()}, {"params", {{"depth", 1}}}}, {dest.string()});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.result["version"], json({{"ref", c5_}}));
  EXPECT_EQ(metadata_value(r.result["metadata"], "branch"), "main");
}

TEST_F(GitCheckIn, InAppliesGitConfigLocally) {
  fs::path dest = dir_ / "get";
  json src = source({{"git_config", {{{"name", "core.bigFileThreshold"}, {"value", "10m"}}}}});
  auto r =
      run_resource(kGit, "in", {{"source", src}, {"version", {{"ref", c1_}}}}, {dest.string()});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(git(dest, {"config", "--local", "core.bigFileThreshold"}), "10m");
}
