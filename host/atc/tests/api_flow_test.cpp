// The ATC API over HTTP against a real PostgreSQL: login, auth, the worker lifecycle, teams and
// the GC protocol, with Concourse's status codes.
#include "atc/db/artifacts.hpp"
#include "web_fixture.hpp"

namespace concourse::atc::testing {
namespace {

using concourse::testing::http;

TEST_F(WebTest, InfoIsPublic) {
  auto r = Api{port_, ""}("GET", "/api/v1/info");
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = json::parse(r.body);
  EXPECT_EQ(j["worker_version"], "2.5");
  EXPECT_EQ(j["cluster_name"], "test");
  EXPECT_TRUE(j["feature_flags"].is_object());
  EXPECT_TRUE(j.contains("external_url"));
}

TEST_F(WebTest, PasswordGrant) {
  auto r =
      http("POST", port_, "/sky/issuer/token", "grant_type=password&username=admin&password=secret",
           {{"Content-Type", "application/x-www-form-urlencoded"},
            {"Authorization", "Basic Zmx5OlpteDU="}});  // fly:Zmx5
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = json::parse(r.body);
  EXPECT_EQ(j["token_type"], "bearer");
  EXPECT_GT(j["expires_in"].get<int64_t>(), 3600);
  auto user = Api{port_, j["access_token"]}("GET", "/api/v1/user");
  ASSERT_EQ(user.status, 200);
  auto u = json::parse(user.body);
  EXPECT_EQ(u["sub"], "admin");
  EXPECT_EQ(u["is_admin"], true);
  EXPECT_EQ(u["teams"]["main"], json::array({"owner"}));

  EXPECT_EQ(login(port_, "admin", "wrong"), "");
  r = http("POST", port_, "/sky/issuer/token",
           "grant_type=password&username=admin&password=wrong&client_id=fly&client_secret=Zmx5",
           {{"Content-Type", "application/x-www-form-urlencoded"}});
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(json::parse(r.body)["error"], "invalid_grant");
  r = http("POST", port_, "/sky/issuer/token",
           "grant_type=password&username=admin&password=secret&client_id=fly&client_secret=no",
           {{"Content-Type", "application/x-www-form-urlencoded"}});
  EXPECT_EQ(r.status, 401);
  r = http("POST", port_, "/sky/issuer/token",
           "grant_type=client_credentials&client_id=concourse-worker&client_secret=guess",
           {{"Content-Type", "application/x-www-form-urlencoded"}});
  EXPECT_EQ(r.status, 401);
}

TEST_F(WebTest, UnauthenticatedIs401) {
  for (const char* path : {"/api/v1/workers", "/api/v1/teams", "/api/v1/user"}) {
    auto r = Api{port_, ""}("GET", path);
    EXPECT_EQ(r.status, 401) << path;
    EXPECT_EQ(json::parse(r.body)["error"], "not authorized");
    EXPECT_EQ((Api{port_, "bogus"}("GET", path)).status, 401) << path;
  }
  auto r = Api{port_, ""}("POST", "/api/v1/workers", worker_body("w").dump());
  EXPECT_EQ(r.status, 401);
}

TEST_F(WebTest, UnknownRoutesAndBadBodies) {
  auto r = admin_("GET", "/api/v1/nothing-here");
  EXPECT_EQ(r.status, 404);
  EXPECT_TRUE(json::parse(r.body).contains("error"));
  EXPECT_EQ(admin_("PATCH", "/api/v1/workers").status, 405);
  r = system_("POST", "/api/v1/workers?ttl=1m0s", "{not json");
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(json::parse(r.body).contains("error"));
  auto w = worker_body("w");
  w["addr"] = "";
  r = system_("POST", "/api/v1/workers", w.dump());
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["error"], "missing garden address");
  w = worker_body("w");
  w["version"] = "2.x";
  EXPECT_EQ(system_("POST", "/api/v1/workers", w.dump()).status, 400);
  EXPECT_EQ(system_("POST", "/api/v1/workers?ttl=soon", worker_body("w").dump()).status, 400);
}

json find_worker(const Api& api, const std::string& name) {
  auto r = api("GET", "/api/v1/workers");
  EXPECT_EQ(r.status, 200);
  for (const auto& w : json::parse(r.body)) {
    if (w["name"] == name)
      return w;
  }
  return nullptr;
}

TEST_F(WebTest, WorkerLifecycle) {
  ASSERT_EQ(system_("POST", "/api/v1/workers?ttl=1m0s", worker_body("w1").dump()).status, 200);
  auto w = find_worker(admin_, "w1");
  ASSERT_FALSE(w.is_null());
  EXPECT_EQ(w["state"], "running");
  EXPECT_EQ(w["addr"], "127.0.0.1:7777");
  EXPECT_EQ(w["version"], "2.5");

  auto hb = worker_body("w1");
  hb["active_containers"] = 4;
  auto r = system_("PUT", "/api/v1/workers/w1/heartbeat?ttl=1m0s", hb.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["active_containers"], 4);
  EXPECT_EQ(json::parse(r.body)["state"], "running");

  auto pr = system_("PUT", "/api/v1/workers/w1/prune");
  EXPECT_EQ(pr.status, 400);
  EXPECT_EQ(json::parse(pr.body), (json{{"stderr", "cannot prune running worker"}}));

  EXPECT_EQ(system_("PUT", "/api/v1/workers/w1/land").status, 200);
  r = system_("PUT", "/api/v1/workers/w1/heartbeat?ttl=1m0s", hb.dump());
  EXPECT_EQ(json::parse(r.body)["state"], "landing");
  EXPECT_EQ(system_("PUT", "/api/v1/workers/w1/prune").status, 200);
  EXPECT_EQ(system_("PUT", "/api/v1/workers/w1/heartbeat?ttl=1m0s", hb.dump()).status, 404);
  EXPECT_TRUE(find_worker(admin_, "w1").is_null());

  ASSERT_EQ(system_("POST", "/api/v1/workers?ttl=1m0s", worker_body("w2").dump()).status, 200);
  EXPECT_EQ(system_("PUT", "/api/v1/workers/w2/retire").status, 200);
  EXPECT_EQ(find_worker(admin_, "w2")["state"], "retiring");
  EXPECT_EQ(system_("DELETE", "/api/v1/workers/w2").status, 200);
  EXPECT_EQ(system_("DELETE", "/api/v1/workers/w2").status, 404);
  EXPECT_EQ(system_("PUT", "/api/v1/workers/w2/land").status, 404);
  EXPECT_EQ(system_("PUT", "/api/v1/workers/nope/prune").status, 404);
}

TEST_F(WebTest, TeamsAndWorkerPermissions) {
  auto team = [](const std::string& user) {
    return json{{"auth", {{"owner", {{"users", {"local:" + user}}, {"groups", json::array()}}}}}}
        .dump();
  };
  auto r = admin_("PUT", "/api/v1/teams/t1", team("bob"));
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(json::parse(r.body)["auth"]["owner"]["users"], json::array({"local:bob"}));
  EXPECT_EQ(admin_("PUT", "/api/v1/teams/t1", team("bob")).status, 200);
  ASSERT_EQ(admin_("PUT", "/api/v1/teams/t2", team("eve")).status, 201);
  EXPECT_EQ(
      admin_("PUT", "/api/v1/teams/t3", R"({"auth":{"owner":{"users":["github:x"]}}})").status,
      400);

  Api bob{port_, login(port_, "bob", "bobpass")};
  ASSERT_FALSE(bob.token.empty());
  EXPECT_EQ(bob("POST", "/api/v1/workers?ttl=1m0s", worker_body("bw", "t1").dump()).status, 200);
  EXPECT_EQ(bob("POST", "/api/v1/workers?ttl=1m0s", worker_body("ew", "t2").dump()).status, 403);
  EXPECT_EQ(bob("POST", "/api/v1/workers?ttl=1m0s", worker_body("gw").dump()).status, 403);
  ASSERT_EQ(system_("POST", "/api/v1/workers", worker_body("ew", "t2").dump()).status, 200);
  ASSERT_EQ(system_("POST", "/api/v1/workers", worker_body("gw").dump()).status, 200);
  EXPECT_EQ(system_("POST", "/api/v1/workers", worker_body("x", "no-team").dump()).status, 400);

  EXPECT_FALSE(find_worker(bob, "bw").is_null());
  EXPECT_FALSE(find_worker(bob, "gw").is_null());
  EXPECT_TRUE(find_worker(bob, "ew").is_null());
  EXPECT_FALSE(find_worker(admin_, "ew").is_null());
  EXPECT_EQ(bob("PUT", "/api/v1/workers/ew/heartbeat?ttl=1m0s").status, 403);
  EXPECT_EQ(bob("PUT", "/api/v1/workers/bw/heartbeat?ttl=1m0s").status, 200);
  EXPECT_EQ(bob("DELETE", "/api/v1/workers/gw").status, 403);

  auto teams = json::parse(bob("GET", "/api/v1/teams").body);
  ASSERT_EQ(teams.size(), 1u);
  EXPECT_EQ(teams[0]["name"], "t1");
  EXPECT_EQ(json::parse(admin_("GET", "/api/v1/teams").body).size(), 3u);
  EXPECT_EQ(bob("PUT", "/api/v1/teams/t4", team("bob")).status, 403);
  EXPECT_EQ(bob("DELETE", "/api/v1/teams/t2").status, 403);
  EXPECT_EQ(admin_("DELETE", "/api/v1/teams/main").status, 403);
  EXPECT_EQ(admin_("DELETE", "/api/v1/teams/t2").status, 204);
  EXPECT_EQ(admin_("DELETE", "/api/v1/teams/t2").status, 404);
}

TEST_F(WebTest, ReportAndDestroying) {
  ASSERT_EQ(system_("POST", "/api/v1/workers", worker_body("w").dump()).status, 200);
  for (std::string kind : {"containers", "volumes"}) {
    auto base = "/api/v1/" + kind;
    EXPECT_EQ(system_("GET", base + "/destroying").status, 400) << kind;
    EXPECT_EQ(system_("PUT", base + "/report", "[]").status, 400) << kind;
    EXPECT_EQ(system_("PUT", base + "/report?worker_name=w", R"({"a":1})").status, 400);
    auto r = system_("PUT", base + "/report?worker_name=w", R"(["h1","h2"])");
    EXPECT_EQ(r.status, 204) << r.body;
    // Handles the database did not know are queued for destruction on the worker.
    auto d = json::parse(system_("GET", base + "/destroying?worker_name=w").body);
    std::sort(d.begin(), d.end());
    EXPECT_EQ(d, json::array({"h1", "h2"})) << kind;
    // A destroying handle missing from the next report was destroyed: its row goes.
    EXPECT_EQ(system_("PUT", base + "/report?worker_name=w", R"(["h1"])").status, 204);
    d = json::parse(system_("GET", base + "/destroying?worker_name=w").body);
    EXPECT_EQ(d, json::array({"h1"})) << kind;
    EXPECT_EQ((Api{port_, ""}("GET", base + "/destroying?worker_name=w")).status, 401);
  }
}

TEST_F(WebTest, TeamContainersAndVolumes) {
  auto team = R"({"auth":{"owner":{"users":["local:bob"]}}})";
  ASSERT_EQ(admin_("PUT", "/api/v1/teams/t1", team).status, 201);
  ASSERT_EQ(system_("POST", "/api/v1/workers", worker_body("w", "t1").dump()).status, 200);
  db::ArtifactRow c;
  c.handle = "c1";
  c.worker_name = "w";
  c.state = "created";
  c.team = "t1";
  c.type = "task";
  db::Artifacts(node_->database(), db::ArtifactKind::Container).save(c);
  c.handle = "v1";
  c.type = "container";
  db::Artifacts(node_->database(), db::ArtifactKind::Volume).save(c);

  Api bob{port_, login(port_, "bob", "bobpass")};
  auto r = bob("GET", "/api/v1/teams/t1/containers");
  ASSERT_EQ(r.status, 200) << r.body;
  auto list = json::parse(r.body);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["id"], "c1");
  EXPECT_EQ(list[0]["worker_name"], "w");
  EXPECT_EQ(list[0]["type"], "task");
  EXPECT_EQ(list[0]["state"], "created");
  list = json::parse(bob("GET", "/api/v1/teams/t1/volumes").body);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["id"], "v1");
  Api eve{port_, login(port_, "eve", "evepass")};
  EXPECT_EQ(eve("GET", "/api/v1/teams/t1/containers").status, 403);
  EXPECT_EQ(admin_("GET", "/api/v1/teams/none/volumes").status, 404);
}

}  // namespace
}  // namespace concourse::atc::testing
