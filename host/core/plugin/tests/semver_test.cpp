#include "core/plugin/semver.hpp"

#include <gtest/gtest.h>

using concourse::core::plugin::parse_semver;
using concourse::core::plugin::version_matches;

TEST(SemVer, ParsesAndRejects) {
  auto v = parse_semver("1.2.3-rc.1+build.5");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->major, 1u);
  EXPECT_EQ(v->minor, 2u);
  EXPECT_EQ(v->patch, 3u);
  EXPECT_EQ(v->prerelease.size(), 2u);
  for (auto bad : {"1.0", "1", "", "01.0.0", "1.0.0-", "1.0.0-01", "a.b.c", "1.0.0+", "1.0.0 "}) {
    EXPECT_FALSE(parse_semver(bad)) << bad;
  }
}

TEST(SemVer, OrdersByPrecedence) {
  auto lt = [](const char* a, const char* b) { return *parse_semver(a) < *parse_semver(b); };
  EXPECT_TRUE(lt("1.0.0", "1.0.1"));
  EXPECT_TRUE(lt("1.9.0", "1.10.0"));
  EXPECT_TRUE(lt("1.0.0-alpha", "1.0.0"));
  EXPECT_TRUE(lt("1.0.0-alpha", "1.0.0-alpha.1"));
  EXPECT_TRUE(lt("1.0.0-alpha.1", "1.0.0-beta"));
  EXPECT_TRUE(lt("1.0.0-2", "1.0.0-11"));
  EXPECT_FALSE(lt("1.0.0+a", "1.0.0+b"));
}

TEST(SemVer, PinsMatchExactOrPrefix) {
  auto v = *parse_semver("1.4.2");
  EXPECT_TRUE(version_matches(v, "1.4.2"));
  EXPECT_TRUE(version_matches(v, "1.4"));
  EXPECT_TRUE(version_matches(v, "1"));
  EXPECT_FALSE(version_matches(v, "1.5"));
  EXPECT_FALSE(version_matches(v, "1.4.3"));
  EXPECT_FALSE(version_matches(v, "x"));
}
