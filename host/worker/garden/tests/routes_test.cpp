#include <gtest/gtest.h>

#include <stdexcept>

#include "worker/garden/routes.hpp"

namespace concourse::worker::garden {
namespace {

TEST(Routes, MatchesEveryGardenRouteWithCaptures) {
  auto m = match_route("GET", "/containers/h1/processes/p1/attaches/7/stdout");
  ASSERT_EQ(m.result, MatchResult::Found);
  EXPECT_EQ(m.id, RouteId::Stdout);
  EXPECT_EQ(m.handle, "h1");
  EXPECT_EQ(m.process_id, "p1");
  EXPECT_EQ(m.stream_id, "7");

  EXPECT_EQ(match_route("GET", "/containers/bulk_info").id, RouteId::BulkInfo);
  EXPECT_EQ(match_route("DELETE", "/containers/bulk_info").id, RouteId::Destroy);
  EXPECT_EQ(match_route("PUT", "/containers/h/files").id, RouteId::StreamIn);
  EXPECT_EQ(match_route("GET", "/containers/h/files").id, RouteId::StreamOut);
  EXPECT_EQ(match_route("POST", "/containers/h/net/out/bulk").id, RouteId::BulkNetOut);
  EXPECT_EQ(match_route("GET", "/containers/h/limits/memory").id, RouteId::LimitsMemory);
  EXPECT_EQ(match_route("PUT", "/containers/h/grace_time").id, RouteId::SetGraceTime);
  auto prop = match_route("DELETE", "/containers/h/properties/a%20b");
  EXPECT_EQ(prop.id, RouteId::RemoveProperty);
  EXPECT_EQ(prop.key, "a b");
}

TEST(Routes, EncodedSlashStaysInsideOneSegment) {
  auto m = match_route("GET", "/containers/a%2Fb/info");
  ASSERT_EQ(m.result, MatchResult::Found);
  EXPECT_EQ(m.handle, "a/b");
}

TEST(Routes, UnknownPathsAndWrongMethodsAreTold) {
  EXPECT_EQ(match_route("GET", "/nope").result, MatchResult::NotFound);
  EXPECT_EQ(match_route("GET", "/containers//info").result, MatchResult::NotFound);
  EXPECT_EQ(match_route("GET", "").result, MatchResult::NotFound);
  EXPECT_EQ(match_route("POST", "/ping").result, MatchResult::MethodNotAllowed);
  EXPECT_THROW(match_route("GET", "/containers/%zz/info"), std::invalid_argument);
}

TEST(Routes, QueryKeepsValuesInOrderAndDecodesPlus) {
  auto q = Query::parse("team=main&team=x&name=a+b%21&flag");
  ASSERT_NE(q.first("team"), nullptr);
  EXPECT_EQ(*q.first("team"), "main");
  EXPECT_EQ(q.values().at("team").size(), 2u);
  EXPECT_EQ(*q.first("name"), "a b!");
  EXPECT_EQ(*q.first("flag"), "");
  EXPECT_EQ(q.first("missing"), nullptr);
  EXPECT_THROW(Query::parse("a=%4"), std::invalid_argument);
}

}  // namespace
}  // namespace concourse::worker::garden
