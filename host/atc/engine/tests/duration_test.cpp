#include <gtest/gtest.h>

#include "atc/engine/steps.hpp"

namespace concourse::atc::engine {
namespace {

using namespace std::chrono_literals;

TEST(GoDuration, Parses) {
  EXPECT_EQ(parse_go_duration("10s"), 10s);
  EXPECT_EQ(parse_go_duration("1h30m"), 90min);
  EXPECT_EQ(parse_go_duration("500ms"), 500ms);
  EXPECT_EQ(parse_go_duration("1.5s"), 1500ms);
  EXPECT_EQ(parse_go_duration("0"), 0s);
  EXPECT_EQ(parse_go_duration("2us"), 2us);
}

TEST(GoDuration, RejectsBadText) {
  EXPECT_THROW(parse_go_duration(""), StepError);
  EXPECT_THROW(parse_go_duration("10"), StepError);
  EXPECT_THROW(parse_go_duration("5d"), StepError);
  EXPECT_THROW(parse_go_duration("s"), StepError);
}

}  // namespace
}  // namespace concourse::atc::engine
