#include "harness.hpp"

using namespace rt_test;

namespace {

const std::string kTime = TIME_RESOURCE_BIN;

Outcome run_at(const std::string& now, const std::string& cmd, const json& req,
               const std::vector<std::string>& args = {}) {
  return run_resource(kTime, cmd, req, args, {{"CONCOURSE_RESOURCE_FAKE_NOW", now}});
}

}  // namespace

TEST(TimeResource, FirstCheckEmitsNowAndLaterChecksRespectTheInterval) {
  ScratchDir dir;
  json src = {{"interval", "1h"}};
  auto first = run_at("2024-05-01T10:00:00Z", "check", {{"source", src}});
  ASSERT_EQ(first.rc, 0) << first.err;
  EXPECT_EQ(first.result, json::parse(R"([{"time":"2024-05-01T10:00:00Z"}])"));
  json prev = {{"time", "2024-05-01T10:00:00Z"}};
  auto early = run_at("2024-05-01T10:30:00Z", "check", {{"source", src}, {"version", prev}});
  EXPECT_EQ(early.result, json::array({prev}));
  auto later = run_at("2024-05-01T11:00:00.5Z", "check", {{"source", src}, {"version", prev}});
  EXPECT_EQ(later.result,
            json::parse(R"([{"time":"2024-05-01T10:00:00Z"},{"time":"2024-05-01T11:00:00.5Z"}])"));
}

TEST(TimeResource, WindowInLocationAndInitialVersion) {
  ScratchDir dir;
  json src = {{"start", "8:00 PM"}, {"stop", "9:00 PM"}, {"location", "Europe/Berlin"}};
  // 18:30 UTC is 20:30 in Berlin (CEST, +02:00): inside the window, reported with the offset.
  auto inside = run_at("2024-06-01T18:30:00Z", "check", {{"source", src}});
  ASSERT_EQ(inside.rc, 0) << inside.err;
  EXPECT_EQ(inside.result, json::parse(R"([{"time":"2024-06-01T20:30:00+02:00"}])"));
  auto outside = run_at("2024-06-01T12:00:00Z", "check", {{"source", src}});
  EXPECT_EQ(outside.result, json::array());
  src["initial_version"] = true;
  auto initial = run_at("2024-06-01T12:00:00Z", "check", {{"source", src}});
  EXPECT_EQ(initial.result, json::parse(R"([{"time":"2024-06-01T14:00:00+02:00"}])"));
}

TEST(TimeResource, InWritesInputTimestampAndEpoch) {
  ScratchDir dir;
  json req = {{"source", {{"interval", "5m"}}}, {"version", {{"time", "2024-05-01T10:00:00.25Z"}}}};
  auto r = run_at("2024-05-01T12:00:00Z", "in", req, {(dir / "get").string()});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.result["version"], req["version"]);
  using concourse::resource::read_file;
  EXPECT_EQ(json::parse(read_file(dir / "get/input")), req);
  EXPECT_EQ(read_file(dir / "get/timestamp"), "2024-05-01 10:00:00.25 +0000 UTC");
  EXPECT_EQ(read_file(dir / "get/epoch"), "1714557600");
}

TEST(TimeResource, OutEmitsTheCurrentTime) {
  ScratchDir dir;
  auto r = run_at("2024-05-01T12:00:00Z", "out", {{"source", {{"location", "Asia/Tokyo"}}}},
                  {(dir / "put").string()});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.result["version"], json({{"time", "2024-05-01T21:00:00+09:00"}}));
}

TEST(TimeResource, InvalidSourceFailsWithAMessage) {
  ScratchDir dir;
  auto r = run_at("2024-05-01T12:00:00Z", "check", {{"source", {{"start", "8:00 PM"}}}});
  EXPECT_NE(r.rc, 0);
  EXPECT_NE(r.err.find("must configure 'stop' if 'start' is set"), std::string::npos);
  auto tz = run_at("2024-05-01T12:00:00Z", "check", {{"source", {{"location", "Mars/Olympus"}}}});
  EXPECT_NE(tz.rc, 0);
  EXPECT_NE(tz.err.find("unknown time zone"), std::string::npos);
}
