#include <gtest/gtest.h>

#include "tsa/atc_client.hpp"
#include "tsa/commands.hpp"

namespace concourse::tsa {
namespace {

using namespace std::chrono_literals;

TEST(GoDuration, MatchesGoFormatting) {
  EXPECT_EQ(go_duration(0s), "0s");
  EXPECT_EQ(go_duration(400ms), "400ms");
  EXPECT_EQ(go_duration(1500ms), "1.5s");
  EXPECT_EQ(go_duration(30s), "30s");
  EXPECT_EQ(go_duration(60s), "1m0s");
  EXPECT_EQ(go_duration(90s), "1m30s");
  EXPECT_EQ(go_duration(2h), "2h0m0s");
  EXPECT_EQ(go_duration(1500us), "1.5ms");
  EXPECT_EQ(go_duration(12ns), "12ns");
}

TEST(SplitCommand, SplitsOnSingleSpaces) {
  EXPECT_EQ(split_command("report-containers a b"),
            (std::vector<std::string>{"report-containers", "a", "b"}));
  EXPECT_EQ(split_command("land-worker"), (std::vector<std::string>{"land-worker"}));
  // Go's strings.Split keeps empty fields; so do we (they are dropped from handle lists).
  EXPECT_EQ(split_command("a  b"), (std::vector<std::string>{"a", "", "b"}));
}

TEST(UrlEscape, EscapesReservedCharacters) {
  EXPECT_EQ(url_escape("worker-1"), "worker-1");
  EXPECT_EQ(url_escape("a b/c?d"), "a%20b%2Fc%3Fd");
}

}  // namespace
}  // namespace concourse::tsa
