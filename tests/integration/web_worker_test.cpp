// End to end: real `concourse web` nodes (ATC on a real PostgreSQL, TSA over real SSH), real
// `concourse worker` processes registering through the TSA, and the real `fly` binary, all on
// loopback. Every state change is awaited by polling the API with a deadline, as an external
// observer must; on failure the logs of every process are printed.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "support/concourse_process.hpp"
#include "support/http.hpp"
#include "support/postgres.hpp"
#include "support/worker_process.hpp"

using concourse::testing::ConcourseProcess;
using concourse::testing::http;
using concourse::testing::HttpReply;
using concourse::testing::port_of;
using concourse::testing::shell;
using concourse::testing::TempDir;
using concourse::testing::TempPostgres;
using concourse::testing::test_worker_args;
using concourse::testing::WorkerProcess;
using nlohmann::json;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// Short enough that stall detection (TTL = 2x heartbeat, collector every gc interval) takes
// about two seconds, not a minute.
constexpr const char* kHeartbeat = "500ms";
constexpr const char* kGcInterval = "500ms";
constexpr auto kStateTimeout = 20s;

// A string field that may be missing or null ("addr" of a landed worker).
std::string str(const json& j, const std::string& key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Polls every 100ms until pred holds; false at the deadline. Polling is all an outside
// observer of the cluster can do, and it never turns a sleep into an assertion.
bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (pred())
      return true;
    if (std::chrono::steady_clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(100ms);
  }
}

// A port nobody listens on right now, for the nodes that must come back on the same ports
// after a restart (workers keep dialing the TSA where it was).
uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), len) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    throw std::runtime_error("free_port failed");
  ::close(fd);
  return ntohs(a.sin_port);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Whether any path under dir is named name: where a runtime keeps a container on disk is its
// own business, but the handle names its directory.
bool tree_has(const std::string& dir, const std::string& name) {
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec),
       end;
       it != end; it.increment(ec)) {
    if (ec)
      break;
    if (it->path().filename() == name)
      return true;
  }
  return false;
}

// Keys made once per test binary with `concourse generate-key` (2048 bits: 4096 would add
// seconds of key generation for nothing the tests check).
struct Keys {
  TempDir dir;
  std::string host, w1, w2, team, unknown;
  std::string global_authorized;  // w1.pub + w2.pub
  std::string team_authorized;    // team.pub

  Keys() {
    for (auto [k, name] : {std::pair{&host, "host"},
                           {&w1, "w1"},
                           {&w2, "w2"},
                           {&team, "team"},
                           {&unknown, "unknown"}}) {
      *k = dir.path() + "/" + name;
      shell(std::string(CONCOURSE_BIN) + " generate-key -t rsa -b 2048 -f " + *k + " >/dev/null");
    }
    global_authorized = dir.path() + "/authorized_keys";
    std::ofstream(global_authorized) << read_file(w1 + ".pub") << read_file(w2 + ".pub");
    team_authorized = dir.path() + "/team_authorized_keys";
    std::ofstream(team_authorized) << read_file(team + ".pub");
  }

  static const Keys& get() {
    static Keys keys;
    return keys;
  }
};

struct WebNode {
  std::unique_ptr<ConcourseProcess> proc;
  std::vector<std::string> args;
  uint16_t api = 0, tsa = 0;
};

struct FlyResult {
  int rc = 0;
  std::string out;
};

// One cluster per test: a fresh database, web nodes, workers (each with a work dir that
// survives its restarts), and a HOME for fly's ~/.flyrc.
class Cluster {
 public:
  Cluster() : db_(TempPostgres::shared().fresh_database()) {}
  ~Cluster() {
    // Workers first: a web node that goes first would leave them reconnecting.
    for (auto& [name, w] : workers_)
      w->stop(SIGKILL, 5s);
    for (auto& n : webs_)
      n.proc->stop(SIGKILL, 5s);
  }

  // Starts a web node; ports 0 = any (fixed ports are for nodes that will be restarted).
  size_t add_web(std::vector<std::string> extra = {}, uint16_t api = 0, uint16_t tsa = 0) {
    const Keys& k = Keys::get();
    std::vector<std::string> args = {"--bind-ip",
                                     "127.0.0.1",
                                     "--tsa-bind-ip",
                                     "127.0.0.1",
                                     "--tsa-host-key",
                                     k.host,
                                     "--tsa-authorized-keys",
                                     k.global_authorized,
                                     "--add-local-user",
                                     "test:test",
                                     "--main-team-local-user",
                                     "test",
                                     "--tsa-heartbeat-interval",
                                     kHeartbeat,
                                     "--gc-interval",
                                     kGcInterval,
                                     "--postgres-socket",
                                     db_.socket,
                                     "--postgres-port",
                                     std::to_string(db_.port),
                                     "--postgres-user",
                                     db_.user,
                                     "--postgres-database",
                                     db_.database,
                                     "--log-format",
                                     "json",
                                     "--log-level",
                                     "debug"};
    if (!db_.password.empty())
      args.insert(args.end(), {"--postgres-password", db_.password});
    args.insert(args.end(), extra.begin(), extra.end());
    webs_.push_back(WebNode{nullptr, std::move(args), api, tsa});
    start_web(webs_.size() - 1);
    return webs_.size() - 1;
  }

  void start_web(size_t i) {
    auto& n = webs_[i];
    auto args = n.args;
    args.insert(args.end(),
                {"--bind-port", std::to_string(n.api), "--tsa-bind-port", std::to_string(n.tsa)});
    if (n.proc)
      old_.push_back(std::move(n.proc));
    n.proc = std::make_unique<ConcourseProcess>(CONCOURSE_BIN, "web", args);
    auto ready = n.proc->start("web-started", 60s);
    n.api = static_cast<uint16_t>(std::stoi(ready.value("api_port", "0")));
    n.tsa = static_cast<uint16_t>(std::stoi(ready.value("tsa_port", "0")));
  }

  WebNode& web(size_t i = 0) { return webs_.at(i); }

  // Starts worker `name` registering through web node `via`'s TSA with the given private
  // key; a second call with the same name reuses its work dir (a restart in place).
  WorkerProcess& add_worker(const std::string& name, const std::string& key,
                            std::vector<std::string> extra = {}, size_t via = 0) {
    auto& dir = work_dirs_[name];
    if (!dir)
      dir = std::make_unique<TempDir>();
    auto args = test_worker_args(dir->path(), CONCOURSE_PLUGIN_DIR);
    args.insert(args.end(),
                {"--name", name, "--tsa-host", "127.0.0.1:" + std::to_string(web(via).tsa),
                 "--tsa-public-key", Keys::get().host + ".pub", "--tsa-worker-private-key", key});
    args.insert(args.end(), extra.begin(), extra.end());
    if (auto it = workers_.find(name); it != workers_.end()) {
      old_workers_.push_back(std::move(it->second));
      workers_.erase(it);
    }
    auto w = std::make_unique<WorkerProcess>(CONCOURSE_BIN, args);
    auto& ref = *w;
    workers_[name] = std::move(w);
    ref.start();
    return ref;
  }

  WorkerProcess& worker(const std::string& name) { return *workers_.at(name); }
  const std::string& work_dir(const std::string& name) { return work_dirs_.at(name)->path(); }

  // A token of the main team's local user, from the token endpoint as fly gets it.
  std::string token(size_t via = 0) {
    auto r = http("POST", web(via).api, "/sky/issuer/token",
                  "grant_type=password&username=test&password=test&scope=openid",
                  {{"Authorization", "Basic Zmx5OlpteDU="},
                   {"Content-Type", "application/x-www-form-urlencoded"}});
    if (r.status != 200)
      throw std::runtime_error("token: " + std::to_string(r.status) + " " + r.body);
    return json::parse(r.body).at("access_token").get<std::string>();
  }

  HttpReply api(const std::string& method, const std::string& path, const std::string& body = "",
                size_t via = 0) {
    if (token_.empty())
      token_ = token(via);
    return http(method, web(via).api, path, body,
                {{"Authorization", "Bearer " + token_}, {"Content-Type", "application/json"}});
  }

  // The worker as GET /api/v1/workers shows it, or nullopt when it is not listed.
  std::optional<json> listed(const std::string& name, size_t via = 0) {
    auto r = api("GET", "/api/v1/workers", "", via);
    auto list = json::parse(r.body, nullptr, false);
    if (r.status != 200 || !list.is_array())
      return std::nullopt;
    for (const auto& w : list)
      if (str(w, "name") == name)
        return w;
    return std::nullopt;
  }

  // Waits until the worker is listed in state; returns it, or nullopt at the deadline.
  std::optional<json> wait_state(const std::string& name, const std::string& state, size_t via = 0,
                                 std::chrono::milliseconds timeout = kStateTimeout) {
    std::optional<json> found;
    bool ok = eventually(
        [&] {
          found = listed(name, via);
          return found && str(*found, "state") == state;
        },
        timeout);
    return ok ? found : std::nullopt;
  }

  bool wait_unlisted(const std::string& name, size_t via = 0) {
    return eventually([&] { return !listed(name, via); }, kStateTimeout);
  }

  // Runs fly with this cluster's HOME; stderr goes to a file dumped with the logs.
  FlyResult fly(const std::string& args) {
    std::string cmd = "HOME='" + fly_home_.path() + "' '" + FLY_BIN + "' " + args + " 2>>'" +
                      fly_home_.path() + "/fly.stderr'";
    std::unique_ptr<FILE, int (*)(FILE*)> p(::popen(cmd.c_str(), "r"), ::pclose);
    FlyResult res;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p.get())) > 0)
      res.out.append(buf, n);
    int status = ::pclose(p.release());
    res.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return res;
  }

  void fly_login(const std::string& target, size_t via = 0) {
    auto r = fly("-t " + target + " login -c http://127.0.0.1:" + std::to_string(web(via).api) +
                 " -u test -p test");
    if (r.rc != 0)
      throw std::runtime_error("fly login failed: " + r.out);
  }

  // `fly workers --json` by name; empty when fly fails (the failure is in fly.stderr).
  std::map<std::string, json> fly_workers(const std::string& target) {
    std::map<std::string, json> out;
    auto r = fly("-t " + target + " workers --json");
    auto list = json::parse(r.out, nullptr, false);
    if (r.rc == 0 && list.is_array())
      for (const auto& w : list)
        out[str(w, "name")] = w;
    return out;
  }

  std::string logs() const {
    std::string out;
    auto add = [&](const std::string& what, const std::string& log) {
      out += "===== " + what + " =====\n" + log + "\n";
    };
    for (size_t i = 0; i < webs_.size(); ++i)
      add("web " + std::to_string(i), webs_[i].proc ? webs_[i].proc->log() : "");
    for (const auto& p : old_)
      add("web (before restart)", p->log());
    for (const auto& w : old_workers_)
      add("worker (before restart)", w->log());
    for (const auto& [name, w] : workers_)
      add("worker " + name, w->log());
    add("fly stderr", read_file(fly_home_.path() + "/fly.stderr"));
    return out;
  }

 private:
  concourse::atc::db::ConnParams db_;
  TempDir fly_home_;
  std::vector<WebNode> webs_;
  std::vector<std::unique_ptr<ConcourseProcess>> old_;
  std::map<std::string, std::unique_ptr<TempDir>> work_dirs_;
  std::map<std::string, std::unique_ptr<WorkerProcess>> workers_;
  std::vector<std::unique_ptr<WorkerProcess>> old_workers_;
  std::string token_;
};

class WebWorker : public ::testing::Test {
 protected:
  void TearDown() override {
    if (HasFailure())
      std::cout << c_.logs();
  }

  // A container made through the worker's Garden as the ATC reaches it: through the tunnel.
  void create_container(const std::string& worker, const std::string& handle) {
    auto w = c_.listed(worker);
    ASSERT_TRUE(w) << worker << " not listed";
    auto r = http("POST", port_of(str(*w, "addr")), "/containers", json{{"handle", handle}}.dump());
    ASSERT_EQ(r.status, 200) << r.body;
  }

  std::vector<std::string> garden_handles(WorkerProcess& w) {
    auto r = http("GET", w.endpoints().garden, "/containers");
    auto j = json::parse(r.body, nullptr, false);
    if (r.status != 200 || !j.is_object() || !j.contains("Handles"))
      return {};
    return j["Handles"].get<std::vector<std::string>>();
  }

  Cluster c_;
};

}  // namespace

// 1. Two workers register through the TSA; fly lists them; Garden is reachable via the tunnel.
TEST_F(WebWorker, TwoWorkersRegisterAndAreReachableThroughTheTunnel) {
  const Keys& k = Keys::get();
  c_.add_web();
  c_.add_worker("w1", k.w1, {"--tag", "fast"});
  c_.add_worker("w2", k.w2);
  ASSERT_TRUE(c_.wait_state("w1", "running"));
  ASSERT_TRUE(c_.wait_state("w2", "running"));

  c_.fly_login("t");
  auto workers = c_.fly_workers("t");
  ASSERT_EQ(workers.size(), 2u);
  for (const auto& name : {"w1", "w2"}) {
    SCOPED_TRACE(name);
    const json& w = workers[name];
    EXPECT_EQ(str(w, "state"), "running");
    EXPECT_EQ(str(w, "version"), "2.5");
    EXPECT_EQ(str(w, "team"), "");
    std::string addr = str(w, "addr");
    ASSERT_EQ(addr.rfind("127.0.0.1:", 0), 0u) << addr;
    // The forwarded port, not the worker's own Garden port: the ATC only knows the tunnel.
    EXPECT_NE(port_of(addr), c_.worker(name).endpoints().garden);
    EXPECT_EQ(http("GET", port_of(addr), "/ping").status, 200);
  }
  EXPECT_EQ(workers["w1"]["tags"], json::array({"fast"}));
  EXPECT_EQ(workers["w2"]["tags"], json::array());
}

// 2. SIGUSR1: landing, then landed with no address; the worker exits 0 and keeps containers.
TEST_F(WebWorker, Sigusr1LandsTheWorkerAndKeepsItsContainers) {
  c_.add_web();
  auto& w = c_.add_worker("w1", Keys::get().w1);
  ASSERT_TRUE(c_.wait_state("w1", "running"));
  create_container("w1", "kept-on-land");

  w.process().signal(SIGUSR1);
  w.process().wait_for_event("landing", 10s);
  EXPECT_EQ(w.process().wait_exit(kStateTimeout), 0);
  c_.fly_login("t");
  auto workers = c_.fly_workers("t");
  ASSERT_EQ(workers.count("w1"), 1u);
  EXPECT_EQ(str(workers["w1"], "state"), "landed");
  EXPECT_EQ(str(workers["w1"], "addr"), "");
  EXPECT_TRUE(tree_has(c_.work_dir("w1"), "kept-on-land"));
}

// 3. SIGUSR2: retiring, then the row is gone; the worker destroys its containers and exits 0.
TEST_F(WebWorker, Sigusr2RetiresTheWorkerAndDestroysItsContainers) {
  c_.add_web();
  auto& w = c_.add_worker("w1", Keys::get().w1);
  ASSERT_TRUE(c_.wait_state("w1", "running"));
  create_container("w1", "gone-on-retire");
  ASSERT_TRUE(tree_has(c_.work_dir("w1"), "gone-on-retire"));

  w.process().signal(SIGUSR2);
  EXPECT_EQ(w.process().wait_exit(kStateTimeout), 0);
  EXPECT_TRUE(c_.wait_unlisted("w1"));
  c_.fly_login("t");
  EXPECT_EQ(c_.fly_workers("t").count("w1"), 0u);
  EXPECT_FALSE(tree_has(c_.work_dir("w1"), "gone-on-retire"));
}

// 4. SIGTERM: exits 0, the row stays and stalls; a restart in place runs again with its
// containers.
TEST_F(WebWorker, SigtermStallsAndARestartInPlaceResumes) {
  c_.add_web();
  auto& w = c_.add_worker("w1", Keys::get().w1);
  ASSERT_TRUE(c_.wait_state("w1", "running"));
  create_container("w1", "survives-restart");

  EXPECT_EQ(w.stop(SIGTERM), 0);
  ASSERT_TRUE(c_.wait_state("w1", "stalled"));
  c_.fly_login("t");
  EXPECT_EQ(str(c_.fly_workers("t")["w1"], "state"), "stalled");

  auto& again = c_.add_worker("w1", Keys::get().w1);
  ASSERT_TRUE(c_.wait_state("w1", "running"));
  auto handles = garden_handles(again);
  EXPECT_NE(std::find(handles.begin(), handles.end(), "survives-restart"), handles.end());
}

// 5. SIGKILL: nobody tells the ATC; the missing heartbeats stall the worker after the TTL.
TEST_F(WebWorker, SigkillStallsAfterTheTtl) {
  c_.add_web();
  auto& w = c_.add_worker("w1", Keys::get().w1);
  ASSERT_TRUE(c_.wait_state("w1", "running"));
  EXPECT_EQ(w.stop(SIGKILL), 128 + SIGKILL);
  ASSERT_TRUE(c_.wait_state("w1", "stalled"));
  c_.fly_login("t");
  EXPECT_EQ(str(c_.fly_workers("t")["w1"], "state"), "stalled");
}

// 6. A team key registers only workers of its team; unknown keys never get in.
TEST_F(WebWorker, TeamKeysBindWorkersToTheirTeam) {
  const Keys& k = Keys::get();
  c_.add_web({"--tsa-team-authorized-keys", "team-a:" + k.team_authorized});
  auto r = c_.api("PUT", "/api/v1/teams/team-a",
                  R"({"auth":{"owner":{"users":["local:test"],"groups":[]}}})");
  ASSERT_EQ(r.status, 201) << r.body;

  c_.add_worker("tw", k.team, {"--team", "team-a"});
  auto tw = c_.wait_state("tw", "running");
  ASSERT_TRUE(tw);
  EXPECT_EQ(str(*tw, "team"), "team-a");

  for (const auto& [name, extra] : std::map<std::string, std::vector<std::string>>{
           {"global-with-team-key", {}}, {"other-team", {"--team", "team-b"}}}) {
    SCOPED_TRACE(name);
    auto& w = c_.add_worker(name, k.team, extra);
    auto ended = w.process().wait_for_event("registration-ended", 10s);
    EXPECT_NE(str(ended, "error").find("key is bound to team 'team-a'"), std::string::npos)
        << ended.dump();
    // Refused is a failure, not a clean exit, for whoever supervises the worker.
    EXPECT_EQ(w.process().wait_exit(10s), 1);
  }
  auto& unknown = c_.add_worker("unknown-key", k.unknown);
  auto refused = unknown.process().wait_for_event("dial-failed", 10s);
  EXPECT_NE(str(refused, "error").find("worker key refused"), std::string::npos) << refused.dump();
  for (const auto& name : {"global-with-team-key", "other-team", "unknown-key"})
    EXPECT_FALSE(c_.listed(name)) << name;
  c_.fly_login("t");
  auto workers = c_.fly_workers("t");
  EXPECT_EQ(workers.size(), 1u);
  EXPECT_EQ(workers.count("tw"), 1u);
}

// 7. The web node dies (SIGKILL) and comes back on the same database and ports: workers,
// teams and tokens survive, and the workers reconnect by themselves.
TEST_F(WebWorker, WebRestartKeepsStateAndWorkersReconnect) {
  const Keys& k = Keys::get();
  c_.add_web({}, free_port(), free_port());
  auto r = c_.api("PUT", "/api/v1/teams/team-a",
                  R"({"auth":{"owner":{"users":["local:test"],"groups":[]}}})");
  ASSERT_EQ(r.status, 201) << r.body;
  auto& w1 = c_.add_worker("w1", k.w1);
  auto& w2 = c_.add_worker("w2", k.w2);
  ASSERT_TRUE(c_.wait_state("w1", "running"));
  ASSERT_TRUE(c_.wait_state("w2", "running"));
  c_.fly_login("t");
  w1.process().wait_for_event("registered", 10s);
  w2.process().wait_for_event("registered", 10s);

  EXPECT_EQ(c_.web().proc->stop(SIGKILL), 128 + SIGKILL);
  c_.start_web(0);
  // A second "registered" in each worker's log: the beacon came back by itself.
  w1.process().wait_for_event("registered", kStateTimeout);
  w2.process().wait_for_event("registered", kStateTimeout);
  auto workers = c_.fly_workers("t");  // the token fly saved before the restart
  ASSERT_EQ(workers.size(), 2u);
  for (const auto& name : {"w1", "w2"}) {
    auto w = c_.wait_state(name, "running");
    ASSERT_TRUE(w) << name;
    EXPECT_EQ(http("GET", port_of(str(*w, "addr")), "/ping").status, 200) << name;
  }
  // The API token cached before the restart, too.
  auto teams = c_.api("GET", "/api/v1/teams");
  EXPECT_EQ(teams.status, 200);
  EXPECT_NE(teams.body.find("team-a"), std::string::npos) << teams.body;
}

// 8. Two web nodes on one database: each sees the workers of both, and a stall is detected
// by whichever node runs the collector.
TEST_F(WebWorker, TwoWebNodesShareOneDatabase) {
  const Keys& k = Keys::get();
  c_.add_web();
  c_.add_web();
  auto& a = c_.add_worker("wa", k.w1, {}, 0);
  c_.add_worker("wb", k.w2, {}, 1);
  ASSERT_TRUE(c_.wait_state("wa", "running", 0));
  ASSERT_TRUE(c_.wait_state("wb", "running", 1));
  c_.fly_login("n1", 0);
  c_.fly_login("n2", 1);
  for (const auto& target : {"n1", "n2"}) {
    auto workers = c_.fly_workers(target);
    EXPECT_EQ(workers.size(), 2u) << target;
    EXPECT_EQ(str(workers["wa"], "state"), "running") << target;
    EXPECT_EQ(str(workers["wb"], "state"), "running") << target;
  }

  a.stop(SIGKILL);
  EXPECT_TRUE(c_.wait_state("wa", "stalled", 0));
  EXPECT_TRUE(c_.wait_state("wa", "stalled", 1));
  EXPECT_EQ(str(c_.fly_workers("n2")["wb"], "state"), "running");
}
