#include "duration.hpp"

#include "resource.hpp"

#include <gtest/gtest.h>

using concourse::resource::Error;
using concourse::resource::parse_go_duration;
using namespace std::chrono_literals;

TEST(GoDuration, ParsesGoSyntax) {
  EXPECT_EQ(parse_go_duration("0"), 0ns);
  EXPECT_EQ(parse_go_duration("60s"), 60s);
  EXPECT_EQ(parse_go_duration("1h30m"), 90min);
  EXPECT_EQ(parse_go_duration("1.5s"), 1500ms);
  EXPECT_EQ(parse_go_duration("300ms"), 300ms);
  EXPECT_EQ(parse_go_duration("2us"), 2us);
  EXPECT_EQ(parse_go_duration("-2m"), -2min);
  EXPECT_EQ(parse_go_duration("1h0m0.5s"), 3600500ms);
}

TEST(GoDuration, RejectsMalformed) {
  for (const char* d : {"", "5", "s", "1d", "1..2s", "h1", "1 h"}) {
    EXPECT_THROW(parse_go_duration(d), Error) << d;
  }
}
