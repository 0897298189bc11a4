#include "atc/api/worker_json.hpp"

#include <gtest/gtest.h>

#include "atc/api/request.hpp"

namespace concourse::atc::api {
namespace {

using nlohmann::json;

db::WorkerRow full_worker() {
  db::WorkerRow w;
  w.name = "w1";
  w.addr = "10.0.0.1:7777";
  w.baggageclaim_url = "http://10.0.0.1:7788";
  w.certs_path = "/etc/ssl/certs";
  w.http_proxy_url = "http://proxy:3128";
  w.https_proxy_url = "http://proxy:3129";
  w.no_proxy = "localhost";
  w.active_containers = 3;
  w.active_volumes = 7;
  w.active_tasks = 1;
  w.resource_types = {{"git", "/rt/git/rootfs.tgz", "1.2", false, true}};
  w.platform = "linux";
  w.tags = {"a", "b"};
  w.team = "main";
  w.version = "2.5";
  w.start_time = 1700000000;
  w.ephemeral = true;
  w.state = "running";
  return w;
}

TEST(WorkerJson, RoundTripKeepsEveryField) {
  auto w = full_worker();
  auto back = worker_from_json(worker_to_json(w));
  EXPECT_EQ(worker_to_json(back), worker_to_json(w));
  EXPECT_EQ(back.certs_path, w.certs_path);
  ASSERT_EQ(back.resource_types.size(), 1u);
  EXPECT_TRUE(back.resource_types[0].unique_version_history);
  EXPECT_EQ(back.resource_types[0].image, "/rt/git/rootfs.tgz");
}

TEST(WorkerJson, OmitsEmptyOptionalFieldsAndKeepsTheRest) {
  db::WorkerRow w;
  json j = worker_to_json(w);
  for (const char* k : {"certs_path", "http_proxy_url", "https_proxy_url", "no_proxy"})
    EXPECT_FALSE(j.contains(k)) << k;
  for (const char* k : {"addr", "baggageclaim_url", "active_containers", "active_volumes",
                        "active_tasks", "resource_types", "platform", "tags", "team", "name",
                        "version", "start_time", "ephemeral", "state"})
    EXPECT_TRUE(j.contains(k)) << k;
  EXPECT_TRUE(j["tags"].is_array());
  EXPECT_TRUE(j["resource_types"].is_array());
}

TEST(WorkerJson, DecodeDropsEmptyTagsAndIgnoresUnknownFields) {
  auto w = worker_from_json(json::parse(
      R"({"addr":"a:1","tags":["x","",""],"certs_path":"","future_field":42,"team":null})"));
  EXPECT_EQ(w.tags, std::vector<std::string>{"x"});
  EXPECT_EQ(w.certs_path, "");
  EXPECT_EQ(w.team, "");
}

TEST(WorkerJson, DecodeRejectsWrongTypes) {
  EXPECT_THROW(worker_from_json(json::parse(R"({"addr":5})")), HttpError);
  EXPECT_THROW(worker_from_json(json::parse(R"({"resource_types":{}})")), HttpError);
  EXPECT_THROW(worker_from_json(json::parse("[]")), HttpError);
}

int validation_status(const db::WorkerRow& w) {
  try {
    validate_registration(w);
    return 200;
  } catch (const HttpError& e) {
    return e.status;
  }
}

TEST(WorkerJson, RegistrationChecks) {
  auto w = full_worker();
  EXPECT_EQ(validation_status(w), 200);
  w.version = "";
  EXPECT_EQ(validation_status(w), 200);
  w.version = "2.5-beta";
  EXPECT_EQ(validation_status(w), 400);
  w.version = "2.5";
  w.addr = "";
  try {
    validate_registration(w);
    FAIL();
  } catch (const HttpError& e) {
    EXPECT_EQ(e.status, 400);
    EXPECT_EQ(e.body["error"], "missing garden address");
  }
}

TEST(Ttl, ParsesGoDurations) {
  EXPECT_EQ(parse_ttl(""), std::chrono::seconds(0));
  EXPECT_EQ(parse_ttl("0"), std::chrono::seconds(0));
  EXPECT_EQ(parse_ttl("1m0s"), std::chrono::seconds(60));
  EXPECT_EQ(parse_ttl("30s"), std::chrono::seconds(30));
  EXPECT_EQ(parse_ttl("1h30m"), std::chrono::seconds(5400));
  EXPECT_EQ(parse_ttl("500ms"), std::chrono::seconds(1));
  EXPECT_THROW(parse_ttl("forever"), HttpError);
  EXPECT_THROW(parse_ttl("10"), HttpError);
  EXPECT_THROW(parse_ttl("."), HttpError);
}

}  // namespace
}  // namespace concourse::atc::api
