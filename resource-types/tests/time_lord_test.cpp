#include "time_lord.hpp"

#include <gtest/gtest.h>

using namespace concourse::resource;
using namespace concourse::resource::timeres;

namespace {

std::int64_t at(const char* rfc3339) {
  return parse_rfc3339(rfc3339).ns;
}

bool fires(const json& source, const char* now, std::optional<const char*> previous) {
  Source src = parse_source(source);
  std::optional<std::int64_t> prev;
  if (previous) {
    prev = at(*previous);
  }
  return TimeLord(src, prev).check(at(now));
}

}  // namespace

TEST(TimeOfDay, ParsesEveryGoLayout) {
  EXPECT_EQ(parse_time_of_day("3:04 PM"), 15 * 60 + 4);
  EXPECT_EQ(parse_time_of_day("3PM"), 15 * 60);
  EXPECT_EQ(parse_time_of_day("3 PM"), 15 * 60);
  EXPECT_EQ(parse_time_of_day("12 AM"), 0);
  EXPECT_EQ(parse_time_of_day("15:04"), 15 * 60 + 4);
  EXPECT_EQ(parse_time_of_day("1504"), 15 * 60 + 4);
  // Deprecated offsets are folded into a UTC time of day.
  EXPECT_EQ(parse_time_of_day("3:00 PM -0700"), 22 * 60);
  EXPECT_EQ(parse_time_of_day("01:00 +0200"), 23 * 60);
  EXPECT_THROW(parse_time_of_day("25:00"), Error);
  EXPECT_THROW(parse_time_of_day("13 PM"), Error);
  EXPECT_THROW(parse_time_of_day("noon"), Error);
}

TEST(Weekday, AcceptsNamesAndAbbreviations) {
  EXPECT_EQ(parse_weekday("Sunday"), 0);
  EXPECT_EQ(parse_weekday("wed"), 3);
  EXPECT_EQ(parse_weekday("SATURDAY"), 6);
  EXPECT_THROW(parse_weekday("Funday"), Error);
}

TEST(TimeSource, StartAndStopMustComeTogether) {
  EXPECT_THROW(parse_source({{"start", "1:00 AM"}}), Error);
  EXPECT_THROW(parse_source({{"stop", "1:00 AM"}}), Error);
  EXPECT_THROW(parse_source({{"location", "Nowhere/Atlantis"}}), Error);
}

TEST(TimeLordCheck, IntervalWithoutWindow) {
  json src = {{"interval", "5m"}};
  EXPECT_TRUE(fires(src, "2024-03-01T10:00:00Z", std::nullopt));
  EXPECT_FALSE(fires(src, "2024-03-01T10:04:59Z", "2024-03-01T10:00:00Z"));
  EXPECT_TRUE(fires(src, "2024-03-01T10:05:00Z", "2024-03-01T10:00:00Z"));
}

TEST(TimeLordCheck, DailyWindowFiresOncePerWindow) {
  json src = {{"start", "2:00 AM"}, {"stop", "3:00 AM"}};
  EXPECT_FALSE(fires(src, "2024-03-01T01:59:00Z", std::nullopt));
  EXPECT_TRUE(fires(src, "2024-03-01T02:00:00Z", std::nullopt));
  EXPECT_FALSE(fires(src, "2024-03-01T03:00:00Z", std::nullopt));
  EXPECT_FALSE(fires(src, "2024-03-01T02:30:00Z", "2024-03-01T02:10:00Z"));
  EXPECT_TRUE(fires(src, "2024-03-02T02:30:00Z", "2024-03-01T02:10:00Z"));
}

TEST(TimeLordCheck, WindowAcrossMidnight) {
  json src = {{"start", "11:00 PM"}, {"stop", "1:00 AM"}};
  EXPECT_TRUE(fires(src, "2024-03-01T23:30:00Z", std::nullopt));
  EXPECT_TRUE(fires(src, "2024-03-02T00:30:00Z", std::nullopt));
  EXPECT_FALSE(fires(src, "2024-03-02T01:30:00Z", std::nullopt));
}

TEST(TimeLordCheck, LocationShiftsTheWindow) {
  // 09:00-10:00 in Tokyo (UTC+9, no DST) is 00:00-01:00 UTC.
  json src = {{"start", "9:00 AM"}, {"stop", "10:00 AM"}, {"location", "Asia/Tokyo"}};
  EXPECT_TRUE(fires(src, "2024-03-01T00:30:00Z", std::nullopt));
  EXPECT_FALSE(fires(src, "2024-03-01T09:30:00Z", std::nullopt));
}

TEST(TimeLordCheck, DaysAreEvaluatedInTheLocation) {
  // 2024-03-01 is a Friday in UTC; 23:30 UTC is already Saturday in Tokyo.
  json fri = {{"days", {"Friday"}}, {"interval", "1m"}};
  EXPECT_TRUE(fires(fri, "2024-03-01T23:30:00Z", std::nullopt));
  fri["location"] = "Asia/Tokyo";
  EXPECT_FALSE(fires(fri, "2024-03-01T23:30:00Z", std::nullopt));
}

TEST(TimeLordCheck, StartAfterDelaysTheFirstVersion) {
  json src = {{"interval", "1h"}, {"start_after", "2024-03-02T00:00:00"}};
  EXPECT_FALSE(fires(src, "2024-03-01T12:00:00Z", std::nullopt));
  EXPECT_TRUE(fires(src, "2024-03-02T00:00:01Z", std::nullopt));
}

TEST(Rfc3339, RoundTripsOffsetsAndFractions) {
  EXPECT_EQ(format_rfc3339_nano(parse_rfc3339("2024-03-01T10:00:00.5Z")), "2024-03-01T10:00:00.5Z");
  EXPECT_EQ(format_rfc3339_nano(parse_rfc3339("2024-03-01T10:00:00+09:00")),
            "2024-03-01T10:00:00+09:00");
  EXPECT_EQ(parse_rfc3339("2024-03-01T10:00:00+01:00").ns, at("2024-03-01T09:00:00Z"));
  EXPECT_EQ(format_go_default(parse_rfc3339("2024-03-01T10:00:00.25Z")),
            "2024-03-01 10:00:00.25 +0000 UTC");
  EXPECT_THROW(parse_rfc3339("2024-03-01 10:00"), Error);
}
