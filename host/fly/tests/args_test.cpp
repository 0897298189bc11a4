#include "fly/args.hpp"

#include <gtest/gtest.h>

#include "core/flags.hpp"

namespace concourse::fly {
namespace {

struct Opts {
  std::string target, worker;
  bool details = false, insecure = false;
};

Args make(Opts& o) {
  Args a("test");
  a.add_string('t', "target", &o.target, "target");
  a.add_string('w', "worker", &o.worker, "worker");
  a.add_bool('d', "details", &o.details, "details");
  a.add_bool('k', "insecure", &o.insecure, "insecure");
  return a;
}

TEST(FlyArgs, GoFlagsSpellings) {
  for (auto args : std::vector<std::vector<std::string>>{
           {"-t", "ci"}, {"-tci"}, {"-t=ci"}, {"--target", "ci"}, {"--target=ci"}}) {
    Opts o;
    make(o).parse(args);
    EXPECT_EQ(o.target, "ci") << args[0];
  }
}

TEST(FlyArgs, CombinedBoolsAndTrailingValue) {
  Opts o;
  make(o).parse({"-dkw", "w1"});
  EXPECT_TRUE(o.details);
  EXPECT_TRUE(o.insecure);
  EXPECT_EQ(o.worker, "w1");
}

TEST(FlyArgs, PositionalsAndDoubleDash) {
  Opts o;
  auto pos = make(o).parse({"a", "-d", "b", "--", "-t"});
  EXPECT_EQ(pos, (std::vector<std::string>{"a", "b", "-t"}));
  EXPECT_TRUE(o.details);
  EXPECT_EQ(o.target, "");
}

TEST(FlyArgs, StopAtPositionalLeavesTheVerbsArguments) {
  Opts o;
  auto rest = make(o).parse({"-t", "ci", "workers", "-d"}, true);
  EXPECT_EQ(rest, (std::vector<std::string>{"workers", "-d"}));
  EXPECT_FALSE(o.details);
}

TEST(FlyArgs, Errors) {
  Opts o;
  EXPECT_THROW(make(o).parse({"--nope"}), core::UsageError);
  EXPECT_THROW(make(o).parse({"-x"}), core::UsageError);
  EXPECT_THROW(make(o).parse({"-t"}), core::UsageError);
  EXPECT_THROW(make(o).parse({"-t", "-d"}), core::UsageError);
  EXPECT_THROW(make(o).parse({"--details=true"}), core::UsageError);
  EXPECT_THROW(make(o).parse({"--help"}), HelpRequested);
  Args req = make(o);
  req.require("worker");
  EXPECT_THROW(req.parse({}), core::UsageError);
}

}  // namespace
}  // namespace concourse::fly
