#include "semver.hpp"

#include "resource.hpp"

#include <gtest/gtest.h>

using namespace concourse::resource::semver;
using concourse::resource::Error;

namespace {

std::string bump(const std::string& v, BumpParams p) {
  return to_string(apply(p, parse(v)));
}

}  // namespace

TEST(Semver, ParsesAndPrintsRoundTrip) {
  for (const char* v :
       {"0.0.0", "1.2.3", "1.2.3-rc.1", "1.2.3-alpha.beta.10+build.7", "10.20.30+meta"}) {
    EXPECT_EQ(to_string(parse(v)), v);
  }
}

TEST(Semver, RejectsMalformedVersions) {
  for (const char* v :
       {"", "1", "1.2", "1.2.x", "01.2.3", "1.2.3-", "1.2.3-01", "1.2.3+", "v1.2.3"}) {
    EXPECT_THROW(parse(v), Error) << v;
  }
}

TEST(Semver, PrecedenceFollowsSemverRules) {
  EXPECT_LT(compare(parse("1.0.0-alpha"), parse("1.0.0")), 0);
  EXPECT_LT(compare(parse("1.0.0-alpha"), parse("1.0.0-alpha.1")), 0);
  EXPECT_LT(compare(parse("1.0.0-alpha.1"), parse("1.0.0-beta")), 0);
  EXPECT_LT(compare(parse("1.0.0-2"), parse("1.0.0-10")), 0);
  EXPECT_LT(compare(parse("1.0.0-10"), parse("1.0.0-a")), 0);
  EXPECT_EQ(compare(parse("1.0.0+a"), parse("1.0.0+b")), 0);
  EXPECT_FALSE(equals(parse("1.0.0+a"), parse("1.0.0+b")));
  EXPECT_GT(compare(parse("2.0.0"), parse("1.9.9")), 0);
}

TEST(Semver, MajorMinorPatchFinalBumps) {
  EXPECT_EQ(bump("1.2.3-rc.1", {"major", "", "", false, false}), "2.0.0");
  EXPECT_EQ(bump("1.2.3", {"minor", "", "", false, false}), "1.3.0");
  EXPECT_EQ(bump("1.2.3-rc.2", {"patch", "", "", false, false}), "1.2.4");
  EXPECT_EQ(bump("1.2.3-rc.2", {"final", "", "", false, false}), "1.2.3");
  EXPECT_EQ(bump("1.2.3+b.1", {"patch", "", "", false, false}), "1.2.4+b.1");
}

TEST(Semver, PreBumpsStartResetAndIncrement) {
  EXPECT_EQ(bump("1.2.3", {"", "rc", "", false, false}), "1.2.3-rc.1");
  EXPECT_EQ(bump("1.2.3-rc.1", {"", "rc", "", false, false}), "1.2.3-rc.2");
  EXPECT_EQ(bump("1.2.3-alpha.4", {"", "beta", "", false, false}), "1.2.3-beta.1");
  EXPECT_EQ(bump("1.2.3", {"minor", "rc", "", false, false}), "1.3.0-rc.1");
  EXPECT_EQ(bump("1.2.3-rc.3", {"", "SNAPSHOT", "", true, false}), "1.2.3-SNAPSHOT");
  EXPECT_EQ(bump("1.2.4-SNAPSHOT", {"major", "", "", false, false}), "2.0.0");
}

TEST(Semver, BuildBumps) {
  EXPECT_EQ(bump("1.2.3", {"", "", "build", false, false}), "1.2.3+build.1");
  EXPECT_EQ(bump("1.2.3+build.4", {"", "", "build", false, false}), "1.2.3+build.5");
  EXPECT_EQ(bump("1.2.3+other.4", {"", "", "build", false, false}), "1.2.3+build.1");
  EXPECT_EQ(bump("1.2.3", {"", "alpha", "test", false, false}), "1.2.3-alpha.1+test.1");
  EXPECT_EQ(bump("1.2.3+x.2", {"", "", "sha", false, true}), "1.2.3+sha");
}
