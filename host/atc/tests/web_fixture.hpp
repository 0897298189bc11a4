// WebNodes on a fresh database of the shared test PostgreSQL, driven over real HTTP.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "atc/web_node.hpp"
#include "support/http.hpp"
#include "support/postgres.hpp"

namespace concourse::atc::testing {

using nlohmann::json;

inline WebNodeOptions node_options(const db::ConnParams& p) {
  WebNodeOptions o;
  o.postgres = p;
  o.api.bind_ip = "127.0.0.1";
  o.api.bind_port = 0;
  o.api.version = "0.1.0";
  o.api.cluster_name = "test";
  o.local_users = {{"admin", "secret"}, {"bob", "bobpass"}, {"eve", "evepass"}};
  o.main_team_users = {"admin"};
  o.gc_interval = std::chrono::hours(1);  // tests call collect_once themselves
  return o;
}

inline std::string form_token(uint16_t port, const std::string& form,
                              const std::map<std::string, std::string>& headers = {}) {
  auto h = headers;
  h["Content-Type"] = "application/x-www-form-urlencoded";
  auto r = concourse::testing::http("POST", port, "/sky/issuer/token", form, h);
  if (r.status != 200)
    return "";
  return json::parse(r.body).at("access_token").get<std::string>();
}

inline std::string login(uint16_t port, const std::string& user, const std::string& pass) {
  return form_token(port, "grant_type=password&username=" + user + "&password=" + pass +
                              "&client_id=fly&client_secret=Zmx5&scope=openid");
}

inline std::string system_token(WebNode& node) {
  return form_token(node.api_port(),
                    "grant_type=client_credentials&client_id=concourse-worker"
                    "&client_secret=" +
                        node.worker_client_secret());
}

struct Api {
  uint16_t port;
  std::string token;

  concourse::testing::HttpReply operator()(const std::string& method, const std::string& path,
                                           const std::string& body = "") const {
    std::map<std::string, std::string> h;
    if (!token.empty())
      h["Authorization"] = "Bearer " + token;
    if (!body.empty())
      h["Content-Type"] = "application/json";
    return concourse::testing::http(method, port, path, body, h);
  }
};

inline json worker_body(const std::string& name, const std::string& team = "") {
  return json{{"name", name},
              {"addr", "127.0.0.1:7777"},
              {"baggageclaim_url", "http://127.0.0.1:7788"},
              {"platform", "linux"},
              {"tags", json::array()},
              {"team", team},
              {"version", "2.5"},
              {"start_time", 1700000000}};
}

class WebTest : public ::testing::Test {
 protected:
  void SetUp() override {
    params_ = concourse::testing::TempPostgres::shared().fresh_database();
    node_ = std::make_unique<WebNode>(node_options(params_), concourse::log::Logger("web"));
    node_->start();
    port_ = node_->api_port();
    system_ = Api{port_, system_token(*node_)};
    admin_ = Api{port_, login(port_, "admin", "secret")};
    ASSERT_FALSE(system_.token.empty());
    ASSERT_FALSE(admin_.token.empty());
  }
  void TearDown() override { node_.reset(); }

  db::ConnParams params_;
  std::unique_ptr<WebNode> node_;
  uint16_t port_ = 0;
  Api system_, admin_;
};

}  // namespace concourse::atc::testing
