#include "harness.hpp"

using namespace rt_test;

namespace {

const std::string kSemver = SEMVER_RESOURCE_BIN;

class SemverGit : public ::testing::Test {
 protected:
  void SetUp() override {
    remote_ = dir_ / "remote.git";
    git(dir_.path(), {"init", "-q", "--bare", "-b", "version", remote_.string()});
    fs::path seed = dir_ / "seed";
    git(dir_.path(), {"clone", "-q", remote_.string(), seed.string()});
    commit_file(seed, "README", "versions live here", "init");
    git(seed, {"push", "-q", "origin", "HEAD:version"});
    seed_ = seed;
  }
  json source(json extra = json::object()) const {
    json s = {{"driver", "git"},
              {"uri", "file://" + remote_.string()},
              {"branch", "version"},
              {"file", "number"},
              {"initial_version", "1.0.0"}};
    s.update(extra);
    return s;
  }
  std::string remote_version() { return git(remote_, {"show", "version:number"}); }

  ScratchDir dir_;
  fs::path remote_, seed_;
};

}  // namespace

TEST_F(SemverGit, CheckReportsInitialVersionWhenTheFileIsMissing) {
  auto r = run_resource(kSemver, "check", {{"source", source()}});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.result, json::parse(R"([{"number":"1.0.0"}])"));
}

TEST_F(SemverGit, OutBumpsAndCheckFollowsTheHistory) {
  fs::create_directories(dir_ / "put");
  auto minor = run_resource(kSemver, "out", {{"source", source()}, {"params", {{"bump", "minor"}}}},
                            {(dir_ / "put").string()});
  ASSERT_EQ(minor.rc, 0) << minor.err;
  EXPECT_EQ(minor.result["version"], json({{"number", "1.1.0"}}));
  EXPECT_EQ(remote_version(), "1.1.0");
  auto rc = run_resource(kSemver, "out", {{"source", source()}, {"params", {{"pre", "rc"}}}},
                         {(dir_ / "put").string()});
  ASSERT_EQ(rc.rc, 0) << rc.err;
  EXPECT_EQ(rc.result["version"], json({{"number", "1.1.0-rc.1"}}));
  EXPECT_EQ(git(remote_, {"log", "-1", "--format=%s", "version"}), "bump to 1.1.0-rc.1");
  auto latest = run_resource(kSemver, "check", {{"source", source()}});
  EXPECT_EQ(latest.result, json::parse(R"([{"number":"1.1.0-rc.1"}])"));
  // From an older cursor, every version since it is reported oldest first.
  auto since =
      run_resource(kSemver, "check", {{"source", source()}, {"version", {{"number", "1.0.5"}}}});
  ASSERT_EQ(since.rc, 0) << since.err;
  // The file history back to the cursor, oldest first: 1.1.0 was written before 1.1.0-rc.1.
  EXPECT_EQ(since.result, json::parse(R"([{"number":"1.1.0"},{"number":"1.1.0-rc.1"}])"));
  auto since_old = run_resource(kSemver, "check",
                                {{"source", source()}, {"version", {{"number", "1.1.0-rc.1"}}}});
  EXPECT_EQ(since_old.result, json::parse(R"([{"number":"1.1.0-rc.1"}])"));
}

TEST_F(SemverGit, OutFromFileWithCustomMessageAndUser) {
  fs::create_directories(dir_ / "put");
  concourse::resource::write_file(dir_ / "put/v", "2.3.4\n");
  json src = source({{"commit_message", "release %version% in %file%"},
                     {"git_user", "Release Bot <bot@example.com>"}});
  auto r = run_resource(kSemver, "out", {{"source", src}, {"params", {{"file", "v"}}}},
                        {(dir_ / "put").string()});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.result["version"], json({{"number", "2.3.4"}}));
  EXPECT_EQ(remote_version(), "2.3.4");
  EXPECT_EQ(git(remote_, {"log", "-1", "--format=%s|%an|%ae", "version"}),
            "release 2.3.4 in number|Release Bot|bot@example.com");
}

TEST_F(SemverGit, BumpSeesAConcurrentWriter) {
  fs::create_directories(dir_ / "put");
  commit_file(seed_, "number", "3.0.0\n", "someone set 3.0.0");
  git(seed_, {"push", "-q", "origin", "HEAD:version"});
  auto r = run_resource(kSemver, "out", {{"source", source()}, {"params", {{"bump", "patch"}}}},
                        {(dir_ / "put").string()});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.result["version"], json({{"number", "3.0.1"}}));
}

TEST_F(SemverGit, InWritesVersionAndNumberBumpingLocally) {
  auto r = run_resource(kSemver, "in",
                        {{"source", source()},
                         {"version", {{"number", "1.2.3"}}},
                         {"params", {{"bump", "major"}, {"pre", "beta"}}}},
                        {(dir_ / "get").string()});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.result["version"], json({{"number", "1.2.3"}}));
  EXPECT_EQ(concourse::resource::read_file(dir_ / "get/version"), "2.0.0-beta.1");
  EXPECT_EQ(concourse::resource::read_file(dir_ / "get/number"), "2.0.0-beta.1");
  EXPECT_EQ(git(remote_, {"ls-tree", "--name-only", "version"}), "README")
      << "in must not write to the driver";
}

TEST_F(SemverGit, UnsupportedDriverAndMissingBumpFail) {
  auto s3 = run_resource(kSemver, "check", {{"source", {{"bucket", "b"}, {"key", "k"}}}});
  EXPECT_NE(s3.rc, 0);
  EXPECT_NE(s3.err.find("not supported"), std::string::npos);
  fs::create_directories(dir_ / "put");
  auto none = run_resource(kSemver, "out", {{"source", source()}}, {(dir_ / "put").string()});
  EXPECT_NE(none.rc, 0);
  EXPECT_NE(none.err.find("no version bump specified"), std::string::npos);
}
