// The TSA against a test double of the ATC, driven by a plain libssh client.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <thread>

#include "fake_atc.hpp"
#include "ssh_client.hpp"
#include "test_keys.hpp"
#include "tsa/server.hpp"

namespace concourse::tsa {
namespace {

using namespace std::chrono_literals;
using namespace concourse::tsa::testing;
using Json = nlohmann::json;

class TsaTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    keys_ = new TestKeys;
    for (const char* k : {"host", "worker", "team", "stranger"})
      keys_->generate(k);
    keys_->authorized_keys("authorized_keys", "worker");
    keys_->authorized_keys("team_keys", "team");
  }
  static void TearDownTestSuite() { delete keys_; }

  void SetUp() override {
    Options o;
    o.bind_ip = "127.0.0.1";
    o.bind_port = 0;
    o.host_key_path = keys_->path("host");
    o.authorized_keys_path = keys_->path("authorized_keys");
    o.team_authorized_keys = {{"main", keys_->path("team_keys")}};
    o.atc_urls = {atc_.url()};
    o.client_secret = FakeAtc::kClientSecret;
    o.heartbeat_interval = 200ms;
    server_ = std::make_unique<Server>(o, concourse::log::Logger("tsa"));
    server_->start();
  }

  CommandResult run_as(const std::string& key, const std::string& cmd, const Json& worker) {
    return run(server_->port(), keys_->path(key), cmd, worker.dump());
  }
  static Json worker(const std::string& name, const std::string& team = "") {
    return {{"name", name}, {"team", team}, {"platform", "linux"}, {"version", "2.5"}};
  }

  static TestKeys* keys_;
  FakeAtc atc_;
  std::unique_ptr<Server> server_;
};
TestKeys* TsaTest::keys_ = nullptr;

// A command left running on an open channel.
struct Running {
  SessionPtr session;
  ssh_channel channel = nullptr;
  ~Running() {
    if (channel != nullptr)
      ssh_channel_free(channel);
  }
};

std::unique_ptr<Running> start_command(uint16_t port, const std::string& key,
                                       const std::string& cmd, const Json& input) {
  auto r = std::make_unique<Running>();
  r->session = connect(port, key);
  if (!r->session)
    return nullptr;
  r->channel = ssh_channel_new(r->session.get());
  EXPECT_EQ(ssh_channel_open_session(r->channel), SSH_OK);
  EXPECT_EQ(ssh_channel_request_exec(r->channel, cmd.c_str()), SSH_OK);
  auto text = input.dump();
  ssh_channel_write(r->channel, text.data(), static_cast<uint32_t>(text.size()));
  ssh_channel_send_eof(r->channel);
  return r;
}

std::string read_all(ssh_channel ch) {
  std::string out;
  char buf[1024];
  int n;
  while ((n = ssh_channel_read_timeout(ch, buf, sizeof buf, 0, 10000)) > 0)
    out.append(buf, static_cast<size_t>(n));
  return out;
}

TEST_F(TsaTest, UnknownKeyIsRefused) {
  auto r = run_as("stranger", "land-worker", worker("w1"));
  EXPECT_FALSE(r.authenticated);
  EXPECT_TRUE(atc_.calls().empty());
}

TEST_F(TsaTest, LandRetireDeleteCallTheirRoutes) {
  atc_.set_state("w1", "running");
  auto land = run_as("worker", "land-worker", worker("w1"));
  EXPECT_EQ(land.exit_status, 0) << land.err;
  ASSERT_EQ(atc_.calls("PUT", "/api/v1/workers/w1/land").size(), 1u);
  EXPECT_EQ(atc_.calls("PUT", "/api/v1/workers/w1/land")[0].authorization, "Bearer token-1");
  EXPECT_EQ(atc_.worker("w1")["state"], "landing");

  EXPECT_EQ(run_as("worker", "retire-worker", worker("w1")).exit_status, 0);
  EXPECT_EQ(atc_.worker("w1")["state"], "retiring");
  // The ATC's 404 for a worker already gone is success for retire, failure for delete.
  EXPECT_EQ(run_as("worker", "retire-worker", worker("nobody")).exit_status, 0);

  EXPECT_EQ(run_as("worker", "delete-worker", worker("w1")).exit_status, 0);
  EXPECT_TRUE(atc_.worker("w1").is_null());
  auto again = run_as("worker", "delete-worker", worker("w1"));
  EXPECT_EQ(again.exit_status, 1);
  EXPECT_NE(again.err.find("404"), std::string::npos) << again.err;
  // One token for all of them.
  EXPECT_EQ(atc_.token_requests(), 1);
}

TEST_F(TsaTest, SweepPrintsTheAtcArrayVerbatim) {
  atc_.set_destroying("containers", R"(["h1", "h2"])");
  atc_.set_destroying("volumes", R"(["v1"])");
  auto c = run_as("worker", "sweep-containers", worker("w 1"));
  EXPECT_EQ(c.exit_status, 0) << c.err;
  EXPECT_EQ(c.out, R"(["h1", "h2"])");
  auto calls = atc_.calls("GET", "/api/v1/containers/destroying");
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].query, "worker_name=w%201");
  auto v = run_as("worker", "sweep-volumes", worker("w1"));
  EXPECT_EQ(v.out, R"(["v1"])");
}

TEST_F(TsaTest, ReportPutsTheHandlesAsAJsonArray) {
  auto r = run_as("worker", "report-containers h1 h2", worker("w1"));
  EXPECT_EQ(r.exit_status, 0) << r.err;
  auto calls = atc_.calls("PUT", "/api/v1/containers/report");
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].query, "worker_name=w1");
  EXPECT_EQ(Json::parse(calls[0].body), Json::parse(R"(["h1","h2"])"));
  EXPECT_EQ(run_as("worker", "report-volumes", worker("w1")).exit_status, 0);
  EXPECT_EQ(atc_.calls("PUT", "/api/v1/volumes/report").at(0).body, "[]");
}

TEST_F(TsaTest, TeamKeyOnlyServesItsOwnTeam) {
  atc_.set_state("tw", "running");
  EXPECT_EQ(run_as("team", "land-worker", worker("tw", "main")).exit_status, 0);

  auto other = run_as("team", "land-worker", worker("tw", "other"));
  EXPECT_EQ(other.exit_status, 1);
  EXPECT_NE(other.err.find("team"), std::string::npos) << other.err;
  auto global = run_as("team", "land-worker", worker("tw"));
  EXPECT_EQ(global.exit_status, 1);
  EXPECT_NE(global.err.find("global"), std::string::npos) << global.err;
  // Refused before reaching the ATC.
  EXPECT_EQ(atc_.calls("PUT", "/api/v1/workers/tw/land").size(), 1u);
}

TEST_F(TsaTest, TeamKeyCannotRegisterAnotherTeamsWorker) {
  FakeWorkerServer fw(0, 0);
  auto w = worker("tw", "other");
  w["addr"] = fw.addr();
  w["baggageclaim_url"] = "http://" + fw.addr();
  auto r = run_as("team", "register-worker", w);
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_TRUE(atc_.calls("POST", "/api/v1/workers").empty());
}

TEST_F(TsaTest, InvalidCommandIsRefused) {
  auto r = run_as("worker", "rm -rf /", worker("w1"));
  EXPECT_TRUE(r.authenticated);
  EXPECT_FALSE(r.exec_accepted);
  EXPECT_NE(r.err.find("invalid command"), std::string::npos) << r.err;
}

TEST_F(TsaTest, RegisterWorkerHeartbeatsUntilLanded) {
  FakeWorkerServer fw(3, 2);
  auto w = worker("w1");
  w["addr"] = fw.addr();
  w["baggageclaim_url"] = "http://" + fw.addr();
  auto r = start_command(server_->port(), keys_->path("worker"), "register-worker", w);
  ASSERT_TRUE(r);
  ASSERT_TRUE(
      atc_.wait_for([&] { return atc_.calls("PUT", "/api/v1/workers/w1/heartbeat").size() >= 2; }));
  auto reg = atc_.calls("POST", "/api/v1/workers");
  ASSERT_EQ(reg.size(), 1u);
  EXPECT_EQ(reg[0].query, "ttl=400ms");
  EXPECT_EQ(Json::parse(reg[0].body)["addr"], fw.addr());
  auto hb = atc_.calls("PUT", "/api/v1/workers/w1/heartbeat");
  EXPECT_EQ(hb[0].query, "ttl=400ms");
  EXPECT_EQ(Json::parse(hb[0].body)["active_containers"], 3);
  EXPECT_EQ(Json::parse(hb[0].body)["active_volumes"], 2);
  auto gap = hb[1].at - hb[0].at;
  EXPECT_GE(gap, 150ms);
  EXPECT_LE(gap, 1000ms);

  atc_.set_state("w1", "landed");
  auto out = read_all(r->channel);
  EXPECT_EQ(ssh_channel_get_exit_status(r->channel), 0);
  EXPECT_EQ(out.rfind("{\"event\":\"registered\"}\n{\"event\":\"heartbeated\"}\n", 0), 0u) << out;
}

TEST_F(TsaTest, HeartbeatEndsWhenTheWorkerIsGone) {
  FakeWorkerServer fw(0, 0);
  auto w = worker("w1");
  w["addr"] = fw.addr();
  w["baggageclaim_url"] = "http://" + fw.addr();
  auto r = start_command(server_->port(), keys_->path("worker"), "register-worker", w);
  ASSERT_TRUE(
      atc_.wait_for([&] { return !atc_.calls("PUT", "/api/v1/workers/w1/heartbeat").empty(); }));
  atc_.remove_worker("w1");
  read_all(r->channel);
  EXPECT_EQ(ssh_channel_get_exit_status(r->channel), 0);
}

TEST_F(TsaTest, SignalCancelsTheCommand) {
  FakeWorkerServer fw(0, 0);
  auto w = worker("w1");
  w["addr"] = fw.addr();
  w["baggageclaim_url"] = "http://" + fw.addr();
  auto r = start_command(server_->port(), keys_->path("worker"), "register-worker", w);
  ASSERT_TRUE(
      atc_.wait_for([&] { return !atc_.calls("PUT", "/api/v1/workers/w1/heartbeat").empty(); }));
  ASSERT_EQ(ssh_channel_request_send_signal(r->channel, "INT"), SSH_OK);
  read_all(r->channel);
  EXPECT_EQ(ssh_channel_get_exit_status(r->channel), 0);
  auto n = atc_.calls("PUT", "/api/v1/workers/w1/heartbeat").size();
  std::this_thread::sleep_for(500ms);  // two intervals: no heartbeat may follow the cancel
  EXPECT_EQ(atc_.calls("PUT", "/api/v1/workers/w1/heartbeat").size(), n);
}

TEST_F(TsaTest, SurvivesAClientThatVanishesMidCommand) {
  FakeWorkerServer fw(0, 0);
  auto w = worker("w1");
  w["addr"] = fw.addr();
  w["baggageclaim_url"] = "http://" + fw.addr();
  {
    auto r = start_command(server_->port(), keys_->path("worker"), "register-worker", w);
    ASSERT_TRUE(
        atc_.wait_for([&] { return !atc_.calls("PUT", "/api/v1/workers/w1/heartbeat").empty(); }));
    // No SSH goodbye: the TCP connection just dies.
    ::shutdown(ssh_get_fd(r->session.get()), SHUT_RDWR);
  }
  std::this_thread::sleep_for(300ms);
  auto n = atc_.calls("PUT", "/api/v1/workers/w1/heartbeat").size();
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(atc_.calls("PUT", "/api/v1/workers/w1/heartbeat").size(), n);
  EXPECT_EQ(run_as("worker", "land-worker", worker("w1")).exit_status, 0);
}

TEST_F(TsaTest, RefreshesTheTokenOn401) {
  atc_.set_state("w1", "running");
  auto first = run_as("worker", "land-worker", worker("w1"));
  EXPECT_EQ(first.exit_status, 0) << first.authenticated << first.exec_accepted << first.err;
  atc_.revoke_token();
  auto r = run_as("worker", "land-worker", worker("w1"));
  EXPECT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(atc_.token_requests(), 2);
}

TEST_F(TsaTest, StopEndsRunningCommands) {
  FakeWorkerServer fw(0, 0);
  auto w = worker("w1");
  w["addr"] = fw.addr();
  w["baggageclaim_url"] = "http://" + fw.addr();
  auto r = start_command(server_->port(), keys_->path("worker"), "register-worker", w);
  ASSERT_TRUE(atc_.wait_for([&] { return !atc_.calls("POST", "/api/v1/workers").empty(); }));
  auto t0 = std::chrono::steady_clock::now();
  server_->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
}

}  // namespace
}  // namespace concourse::tsa
