#include "atc/api/router.hpp"

#include <gtest/gtest.h>

namespace concourse::atc::api {
namespace {

Router make() {
  Router r;
  auto tag = [](int n) { return [n](Request&) { return Response::empty(200 + n); }; };
  r.add("GET", "/api/v1/workers", tag(0));
  r.add("POST", "/api/v1/workers", tag(1));
  r.add("PUT", "/api/v1/workers/:name/heartbeat", tag(2));
  r.add("DELETE", "/api/v1/workers/:name", tag(3));
  r.add("GET", "/api/v1/teams/:team/containers", tag(4));
  return r;
}

int status_of(const Router& r, const std::string& method, const std::string& path) {
  auto m = r.match(method, path);
  if (!m.handler)
    return m.path_known ? 405 : 404;
  Request req;
  return (*m.handler)(req).status;
}

TEST(Router, MatchesLiteralsAndMethods) {
  auto r = make();
  EXPECT_EQ(status_of(r, "GET", "/api/v1/workers"), 200);
  EXPECT_EQ(status_of(r, "POST", "/api/v1/workers"), 201);
  EXPECT_EQ(status_of(r, "PATCH", "/api/v1/workers"), 405);
  EXPECT_EQ(status_of(r, "GET", "/api/v1/worker"), 404);
  EXPECT_EQ(status_of(r, "GET", "/api/v1/workers/extra/segments/here"), 404);
}

TEST(Router, CapturesParams) {
  auto r = make();
  auto m = r.match("PUT", "/api/v1/workers/w-1.example/heartbeat");
  ASSERT_NE(m.handler, nullptr);
  EXPECT_EQ(m.params.at("name"), "w-1.example");
  m = r.match("GET", "/api/v1/teams/main/containers");
  ASSERT_NE(m.handler, nullptr);
  EXPECT_EQ(m.params.at("team"), "main");
  EXPECT_EQ(status_of(r, "DELETE", "/api/v1/workers/x"), 203);
}

TEST(Router, TrailingAndDoubleSlashesAreIgnored) {
  auto r = make();
  EXPECT_EQ(status_of(r, "GET", "/api/v1/workers/"), 200);
  EXPECT_EQ(status_of(r, "GET", "//api//v1/workers"), 200);
}

TEST(Router, SplitPath) {
  EXPECT_EQ(split_path("/"), std::vector<std::string>{});
  EXPECT_EQ(split_path("/a/b"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(split_path("a//b/"), (std::vector<std::string>{"a", "b"}));
}

}  // namespace
}  // namespace concourse::atc::api
