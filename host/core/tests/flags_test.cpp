#include "core/flags.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

using concourse::core::FlagSet;
using concourse::core::parse_duration;
using concourse::core::UsageError;
using namespace std::chrono_literals;

namespace {

std::vector<char*> argv_of(std::vector<std::string>& args) {
  std::vector<char*> out;
  for (auto& a : args)
    out.push_back(a.data());
  return out;
}

}  // namespace

TEST(Duration, ParsesGoDurations) {
  EXPECT_EQ(parse_duration("5s"), 5s);
  EXPECT_EQ(parse_duration("1h30m"), 90min);
  EXPECT_EQ(parse_duration("250ms"), 250ms);
  EXPECT_EQ(parse_duration("0"), 0s);
  EXPECT_THROW(parse_duration("5"), UsageError);
  EXPECT_THROW(parse_duration("5 parsecs"), UsageError);
}

TEST(FlagSet, ParsesFormsAndRejectsUnknown) {
  std::string work_dir, ip = "127.0.0.1";
  bool eph = false;
  std::vector<std::string> tags;
  std::chrono::nanoseconds timeout = 5s;
  FlagSet fs("worker");
  fs.add_string("work-dir", &work_dir, "dir");
  fs.add_string("bind-ip", &ip, "ip");
  fs.add_bool("ephemeral", &eph, "eph");
  fs.add_list("tag", &tags, "tags");
  fs.add_duration("healthcheck-timeout", &timeout, "t");
  std::vector<std::string> args{
      "x",     "--work-dir", "/w",      "--bind-ip=0.0.0.0",     "--ephemeral",
      "--tag", "a",          "--tag=b", "--healthcheck-timeout", "2s"};
  auto argv = argv_of(args);
  fs.parse(static_cast<int>(argv.size()), argv.data(), 1);
  EXPECT_EQ(work_dir, "/w");
  EXPECT_EQ(ip, "0.0.0.0");
  EXPECT_TRUE(eph);
  EXPECT_EQ(tags, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(timeout, 2s);

  std::vector<std::string> bad{"x", "--no-such-flag"};
  auto bad_argv = argv_of(bad);
  EXPECT_THROW(fs.parse(2, bad_argv.data(), 1), UsageError);
}

TEST(FlagSet, ReadsEnvironmentAndEnforcesRequired) {
  std::string work_dir;
  std::vector<std::string> tags;
  FlagSet fs("worker");
  fs.add_string("work-dir", &work_dir, "dir");
  fs.add_list("tag", &tags, "tags");
  fs.require("work-dir");
  std::vector<std::string> none{"x"};
  auto argv = argv_of(none);
  EXPECT_THROW(fs.parse(1, argv.data(), 1), UsageError);
  ::setenv("CONCOURSE_WORK_DIR", "/env/w", 1);
  ::setenv("CONCOURSE_TAG", "x,y", 1);
  fs.parse(1, argv.data(), 1);
  ::unsetenv("CONCOURSE_WORK_DIR");
  ::unsetenv("CONCOURSE_TAG");
  EXPECT_EQ(work_dir, "/env/w");
  EXPECT_EQ(tags, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(FlagSet::env_name("baggageclaim-bind-port"), "CONCOURSE_BAGGAGECLAIM_BIND_PORT");
}
