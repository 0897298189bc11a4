#include "worker/resource_types.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/worker_process.hpp"

namespace fs = std::filesystem;
using concourse::worker::scan_resource_types;

namespace {

void make_type(const fs::path& dir, const std::string& metadata) {
  fs::create_directories(dir);
  std::ofstream(dir / "rootfs.tgz") << "not really a tarball";
  std::ofstream(dir / "resource_metadata.json") << metadata;
}

TEST(ResourceTypes, AdvertisesEachTypeWithTheAbsoluteImagePath) {
  concourse::testing::TempDir d;
  make_type(fs::path(d.path()) / "git", R"({"type":"git","version":"1.2.0"})");
  make_type(fs::path(d.path()) / "time", R"({"type":"time","version":"0.9.0","privileged":true})");
  fs::create_directories(fs::path(d.path()) / "CMakeFiles");  // a build leftover: skipped
  auto types = scan_resource_types(d.path(), concourse::log::Logger("test"));
  ASSERT_EQ(types.size(), 2u) << types.dump();
  EXPECT_EQ(types[0]["type"], "git");
  EXPECT_EQ(types[0]["image"], (fs::path(d.path()) / "git" / "rootfs.tgz").string());
  EXPECT_EQ(types[0]["version"], "1.2.0");
  EXPECT_EQ(types[0]["privileged"], false);
  EXPECT_EQ(types[1]["privileged"], true);
  EXPECT_EQ(types[1]["unique_version_history"], false);
}

TEST(ResourceTypes, NewestVersionDirectoryWins) {
  concourse::testing::TempDir d;
  auto git = fs::path(d.path()) / "git";
  make_type(git / "1.2.0", R"({"type":"git","version":"1.2.0"})");
  make_type(git / "1.10.0", R"({"type":"git","version":"1.10.0"})");
  make_type(git / "1.9.1", R"({"type":"git","version":"1.9.1"})");
  auto types = scan_resource_types(d.path(), concourse::log::Logger("test"));
  ASSERT_EQ(types.size(), 1u);
  EXPECT_EQ(types[0]["version"], "1.10.0");
  EXPECT_EQ(types[0]["image"], (git / "1.10.0" / "rootfs.tgz").string());
}

TEST(ResourceTypes, BrokenMetadataHidesOnlyItsOwnType) {
  concourse::testing::TempDir d;
  make_type(fs::path(d.path()) / "bad", "{not json");
  make_type(fs::path(d.path()) / "mock", R"({"type":"mock","version":"1.0.0"})");
  auto types = scan_resource_types(d.path(), concourse::log::Logger("test"));
  ASSERT_EQ(types.size(), 1u);
  EXPECT_EQ(types[0]["type"], "mock");
  EXPECT_TRUE(scan_resource_types(d.path() + "/missing", concourse::log::Logger("t")).empty());
}

}  // namespace
