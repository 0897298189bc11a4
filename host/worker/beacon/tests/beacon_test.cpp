// A real Beacon against a real TSA, with a test double of the ATC and a small HTTP server
// standing in for the worker's Garden and Baggageclaim.
#include "worker/beacon/beacon.hpp"

#include <gtest/gtest.h>

#include <future>

#include "core/error.hpp"
#include "fake_atc.hpp"
#include "ssh_client.hpp"
#include "test_keys.hpp"
#include "tsa/atc_client.hpp"
#include "tsa/server.hpp"

namespace concourse::worker::beacon {
namespace {

using namespace std::chrono_literals;
using namespace concourse::tsa::testing;
using Json = nlohmann::json;

class BeaconTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    keys_ = new TestKeys;
    for (const char* k : {"host", "worker", "other_host"})
      keys_->generate(k);
    keys_->authorized_keys("authorized_keys", "worker");
    keys_->authorized_keys("host_keys", "host");
    keys_->authorized_keys("wrong_host_keys", "other_host");
  }
  static void TearDownTestSuite() { delete keys_; }

  void SetUp() override { start_tsa(0); }

  void start_tsa(uint16_t port) {
    tsa::Options o;
    o.bind_ip = "127.0.0.1";
    o.bind_port = port;
    o.host_key_path = keys_->path("host");
    o.authorized_keys_path = keys_->path("authorized_keys");
    o.atc_urls = {atc_.url()};
    o.client_secret = FakeAtc::kClientSecret;
    o.heartbeat_interval = 200ms;
    tsa_ = std::make_unique<tsa::Server>(o, concourse::log::Logger("tsa"));
    tsa_->start();
  }

  std::unique_ptr<Beacon> make_beacon(const std::string& host_keys = "host_keys") {
    BeaconOptions o;
    o.tsa_hosts = {"127.0.0.1:" + std::to_string(tsa_->port())};
    o.tsa_public_key = keys_->path(host_keys);
    o.worker_private_key = keys_->path("worker");
    o.garden_addr = garden_.addr();
    o.baggageclaim_addr = garden_.addr();
    o.max_retry_delay = 500ms;
    WorkerInfo info;
    info.name = "w1";
    info.tags = {"fast", ""};
    auto rt = [] { return Json::array({{{"type", "git"}, {"version", "1.0"}}}); };
    return std::make_unique<Beacon>(o, info, rt, concourse::log::Logger("beacon"));
  }

  size_t heartbeats() const { return atc_.calls("PUT", "/api/v1/workers/w1/heartbeat").size(); }
  bool wait_heartbeats(size_t n) {
    return atc_.wait_for([&] { return heartbeats() >= n; });
  }

  static TestKeys* keys_;
  FakeAtc atc_;
  FakeWorkerServer garden_{3, 2};
  std::unique_ptr<tsa::Server> tsa_;
};
TestKeys* BeaconTest::keys_ = nullptr;

TEST_F(BeaconTest, RegistersThroughTheTunnelAndHeartbeats) {
  auto b = make_beacon();
  b->start();
  ASSERT_TRUE(wait_heartbeats(2));
  auto reg = atc_.calls("POST", "/api/v1/workers");
  ASSERT_EQ(reg.size(), 1u);
  EXPECT_EQ(reg[0].query, "ttl=400ms");
  auto w = Json::parse(reg[0].body);
  EXPECT_EQ(w["name"], "w1");
  EXPECT_EQ(w["platform"], "linux");
  EXPECT_EQ(w["version"], "2.5");
  EXPECT_EQ(w["tags"], Json::array({"fast"}));
  EXPECT_EQ(w["resource_types"][0]["type"], "git");
  EXPECT_GT(w["start_time"].get<int64_t>(), 0);
  // The advertised addresses are the TSA's forwards, not the worker's own servers.
  std::string addr = w["addr"];
  EXPECT_EQ(addr.rfind("127.0.0.1:", 0), 0u);
  EXPECT_NE(addr, garden_.addr());
  EXPECT_EQ(w["baggageclaim_url"].get<std::string>().rfind("http://127.0.0.1:", 0), 0u);
  auto hb = atc_.calls("PUT", "/api/v1/workers/w1/heartbeat");
  EXPECT_EQ(hb[0].query, "ttl=400ms");
  EXPECT_EQ(Json::parse(hb[0].body)["active_containers"], 3);
  EXPECT_EQ(Json::parse(hb[0].body)["active_volumes"], 2);
  EXPECT_TRUE(atc_.wait_for([&] { return b->heartbeats() >= 1; }));
  EXPECT_TRUE(b->registered());
  EXPECT_GT(garden_.requests(), 0);
}

TEST_F(BeaconTest, AtcTrafficToTheAdvertisedAddressReachesTheWorker) {
  auto b = make_beacon();
  b->start();
  ASSERT_TRUE(atc_.wait_for([&] { return !atc_.calls("POST", "/api/v1/workers").empty(); }));
  auto w = Json::parse(atc_.calls("POST", "/api/v1/workers")[0].body);
  int before = garden_.requests();
  std::vector<std::future<tsa::HttpResult>> calls;
  for (int i = 0; i < 6; ++i) {
    std::string url = i % 2 ? w["baggageclaim_url"].get<std::string>() + "/volumes"
                            : "http://" + w["addr"].get<std::string>() + "/containers";
    calls.push_back(std::async(std::launch::async, [url] {
      return tsa::http_request("GET", url, "", "", std::chrono::seconds(10));
    }));
  }
  for (int i = 0; i < 6; ++i) {
    auto r = calls[static_cast<size_t>(i)].get();
    ASSERT_EQ(r.status, 200);
    auto j = Json::parse(r.body);
    if (i % 2)
      EXPECT_EQ(j.size(), 2u);
    else
      EXPECT_EQ(j["Handles"], Json::array({"c0", "c1", "c2"}));
  }
  EXPECT_GE(garden_.requests(), before + 6);
}

// Many connections at once through one tunnel, with bodies far larger than an SSH window, next
// to the TSA's own heartbeat probes: every byte must come back intact and no connection may be
// reset (the ATC's checks and builds share the tunnel this way).
TEST_F(BeaconTest, ConcurrentLargeRequestsThroughTheTunnelArriveIntact) {
  auto b = make_beacon();
  b->start();
  ASSERT_TRUE(atc_.wait_for([&] { return !atc_.calls("POST", "/api/v1/workers").empty(); }));
  auto w = Json::parse(atc_.calls("POST", "/api/v1/workers")[0].body);
  std::string url = "http://" + w["addr"].get<std::string>() + "/echo";
  constexpr int kThreads = 8, kRequests = 25;
  std::vector<std::future<std::string>> workers;
  for (int t = 0; t < kThreads; ++t) {
    workers.push_back(std::async(std::launch::async, [url, t] {
      for (int i = 0; i < kRequests; ++i) {
        // 0 B .. ~3 MB, each byte a function of its position so a lost or reordered chunk shows.
        size_t size = static_cast<size_t>((t * 7919 + i * 104729) % (3 << 20));
        if (i % 5 == 0)
          size = static_cast<size_t>(i % 3);
        std::string body(size, '\0');
        for (size_t k = 0; k < size; ++k)
          body[k] = static_cast<char>((k * 31 + static_cast<size_t>(t)) & 0xff);
        tsa::HttpResult r;
        try {
          r = tsa::http_request("PUT", url, body, "application/octet-stream", 30s);
        } catch (const std::exception& e) {
          return "thread " + std::to_string(t) + " request " + std::to_string(i) + ": " + e.what();
        }
        if (r.status != 200 || r.body != body)
          return "thread " + std::to_string(t) + " request " + std::to_string(i) + ": status " +
                 std::to_string(r.status) + ", " + std::to_string(r.body.size()) + " of " +
                 std::to_string(size) + " bytes back";
      }
      return std::string();
    }));
  }
  for (auto& f : workers)
    EXPECT_EQ(f.get(), "");
  EXPECT_TRUE(b->registered());
}

TEST_F(BeaconTest, LandingEndsTheRegistrationOnceLanded) {
  auto b = make_beacon();
  b->start();
  ASSERT_TRUE(wait_heartbeats(1));
  b->land();
  EXPECT_EQ(atc_.worker("w1")["state"], "landing");
  EXPECT_FALSE(b->wait_ended(500ms));  // landing is not landed: heartbeats go on
  atc_.set_state("w1", "landed");
  ASSERT_TRUE(b->wait_ended(5s));
  EXPECT_EQ(b->ended(), RegistrationEnd::Exited);
  auto n = heartbeats();
  std::this_thread::sleep_for(500ms);  // no re-registration after the gateway ended it
  EXPECT_EQ(heartbeats(), n);
  EXPECT_EQ(atc_.calls("POST", "/api/v1/workers").size(), 1u);
}

TEST_F(BeaconTest, RetiringEndsTheRegistrationWhenTheWorkerIsGone) {
  auto b = make_beacon();
  b->start();
  ASSERT_TRUE(wait_heartbeats(1));
  b->retire();
  EXPECT_EQ(atc_.worker("w1")["state"], "retiring");
  atc_.remove_worker("w1");
  ASSERT_TRUE(b->wait_ended(5s));
  EXPECT_EQ(b->ended(), RegistrationEnd::Exited);
}

TEST_F(BeaconTest, StopCancelsTheRegistration) {
  auto b = make_beacon();
  b->start();
  ASSERT_TRUE(wait_heartbeats(1));
  auto t0 = std::chrono::steady_clock::now();
  b->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
  EXPECT_EQ(b->ended(), RegistrationEnd::Stopped);
  std::this_thread::sleep_for(300ms);
  auto n = heartbeats();
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(heartbeats(), n);
  EXPECT_EQ(atc_.worker("w1")["state"], "running");  // stop neither lands nor deletes
}

TEST_F(BeaconTest, ReRegistersAfterTheTsaRestarts) {
  auto b = make_beacon();
  b->start();
  ASSERT_TRUE(wait_heartbeats(1));
  uint16_t port = tsa_->port();
  tsa_->stop();
  start_tsa(port);
  ASSERT_TRUE(atc_.wait_for([&] { return atc_.calls("POST", "/api/v1/workers").size() >= 2; }));
  EXPECT_TRUE(atc_.wait_for([&] { return b->registered(); }));
}

TEST_F(BeaconTest, RunsShortCommands) {
  auto b = make_beacon();
  atc_.set_destroying("containers", R"(["h1"])");
  EXPECT_EQ(b->run("sweep-containers", b->worker_json()), R"(["h1"])");
  b->run("report-volumes v1 v2", b->worker_json());
  EXPECT_EQ(atc_.calls("PUT", "/api/v1/volumes/report").at(0).body, R"(["v1","v2"])");
  try {
    b->delete_worker();  // unknown to the ATC: 404
    FAIL() << "delete of an unknown worker succeeded";
  } catch (const core::Error& e) {
    EXPECT_EQ(e.code(), CC_E_INTERNAL);
    EXPECT_NE(std::string(e.what()).find("404"), std::string::npos) << e.what();
  }
}

TEST_F(BeaconTest, RefusesAnUnknownHostKey) {
  auto b = make_beacon("wrong_host_keys");
  try {
    b->run("sweep-volumes", b->worker_json());
    FAIL() << "connected to a TSA with an unknown host key";
  } catch (const core::Error& e) {
    EXPECT_EQ(e.code(), CC_E_UNAVAILABLE);
    EXPECT_NE(std::string(e.what()).find("host key"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(atc_.calls().empty());
}

TEST_F(BeaconTest, UnreachableTsaIsUnavailable) {
  auto b = make_beacon();
  tsa_->stop();
  try {
    b->run("sweep-volumes", b->worker_json());
    FAIL() << "ran a command without a TSA";
  } catch (const core::Error& e) {
    EXPECT_EQ(e.code(), CC_E_UNAVAILABLE);
  }
}

}  // namespace
}  // namespace concourse::worker::beacon
