// Upgrading a resource type on a running worker (issue 4 §4), with a real `concourse web` (ATC on
// a real PostgreSQL, TSA over SSH) and a real `concourse worker` running the installer-bundled
// plugin: mock v1 is installed into a volume and advertised; dropping mock/<newer>/ while the
// worker runs installs it and the ATC's /api/v1/workers shows the new version within seconds; a
// container made from the old install keeps its rootfs; once it is gone the old install is too.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/concourse_process.hpp"
#include "support/http.hpp"
#include "support/postgres.hpp"
#include "support/worker_process.hpp"

using concourse::testing::ConcourseProcess;
using concourse::testing::http;
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

bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (pred())
      return true;
    if (std::chrono::steady_clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(50ms);
  }
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class ResourceTypeUpgrade : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::is_regular_file(fs::path(MOCK_RESOURCE_DIR) / "rootfs.tgz"))
      GTEST_SKIP() << "mock rootfs.tgz not built in " << MOCK_RESOURCE_DIR;
    db_ = TempPostgres::shared().fresh_database();
    for (auto* k : {&host_key_, &worker_key_}) {
      *k = keys_.path() + (k == &host_key_ ? "/host" : "/worker");
      shell(std::string(CONCOURSE_BIN) + " generate-key -t rsa -b 2048 -f " + *k + " >/dev/null");
    }
    std::ofstream(keys_.path() + "/authorized_keys") << read_file(worker_key_ + ".pub");
    start_web();
  }
  void TearDown() override {
    if (HasFailure()) {
      std::cout << "===== web =====\n" << (web_ ? web_->log() : "") << "\n";
      std::cout << "===== worker =====\n" << (worker_ ? worker_->log() : "") << "\n";
    }
    if (worker_)
      worker_->stop(SIGKILL, 5s);
    if (web_)
      web_->stop(SIGKILL, 5s);
  }

  void start_web() {
    std::vector<std::string> args = {"--bind-ip",
                                     "127.0.0.1",
                                     "--bind-port",
                                     "0",
                                     "--tsa-bind-ip",
                                     "127.0.0.1",
                                     "--tsa-bind-port",
                                     "0",
                                     "--tsa-host-key",
                                     host_key_,
                                     "--tsa-authorized-keys",
                                     keys_.path() + "/authorized_keys",
                                     "--add-local-user",
                                     "test:test",
                                     "--main-team-local-user",
                                     "test",
                                     "--tsa-heartbeat-interval",
                                     "30s",
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
    web_ = std::make_unique<ConcourseProcess>(CONCOURSE_BIN, "web", args);
    auto ready = web_->start("web-started", 60s);
    api_ = static_cast<uint16_t>(std::stoi(ready.value("api_port", "0")));
    tsa_ = static_cast<uint16_t>(std::stoi(ready.value("tsa_port", "0")));
    auto r = http("POST", api_, "/sky/issuer/token",
                  "grant_type=password&username=test&password=test&scope=openid",
                  {{"Authorization", "Basic Zmx5OlpteDU="},
                   {"Content-Type", "application/x-www-form-urlencoded"}});
    ASSERT_EQ(r.status, 200) << r.body;
    token_ = json::parse(r.body).at("access_token").get<std::string>();
  }

  void start_worker() {
    auto args = test_worker_args(work_.path(), CONCOURSE_PLUGIN_DIR);
    args.insert(args.end(), {"--name", "w1", "--resource-types", types_.path(), "--tsa-host",
                             "127.0.0.1:" + std::to_string(tsa_), "--tsa-public-key",
                             host_key_ + ".pub", "--tsa-worker-private-key", worker_key_});
    worker_ = std::make_unique<WorkerProcess>(CONCOURSE_BIN, args);
    worker_->start();
  }

  // The mock type as /api/v1/workers shows it for w1; null when w1 or mock is not listed.
  json advertised_mock() {
    auto r = http("GET", api_, "/api/v1/workers", "", {{"Authorization", "Bearer " + token_}});
    auto list = json::parse(r.body, nullptr, false);
    if (r.status != 200 || !list.is_array())
      return nullptr;
    for (const auto& w : list) {
      if (w.value("name", "") != "w1" || !w.contains("resource_types"))
        continue;
      for (const auto& rt : w["resource_types"])
        if (rt.value("type", "") == "mock")
          return rt;
    }
    return nullptr;
  }

  json wait_mock_version(const std::string& version, std::chrono::milliseconds timeout) {
    json found;
    eventually(
        [&] {
          found = advertised_mock();
          return found.is_object() && found.value("version", "") == version;
        },
        timeout);
    return found;
  }

  void write_metadata(const fs::path& dir, const std::string& version) {
    std::ofstream(dir / "resource_metadata.json")
        << R"({"type":"mock","version":")" << version
        << R"(","privileged":false,"unique_version_history":false})";
  }

  // <volumes>/live/<handle>/volume -> handle (Baggageclaim's layout).
  static std::string handle_of(const std::string& image) {
    return fs::path(image.substr(6)).parent_path().filename().string();
  }

  concourse::atc::db::ConnParams db_;
  TempDir keys_, work_, types_;
  std::string host_key_, worker_key_, token_;
  std::unique_ptr<ConcourseProcess> web_;
  std::unique_ptr<WorkerProcess> worker_;
  uint16_t api_ = 0, tsa_ = 0;
};

TEST_F(ResourceTypeUpgrade, NewVersionIsAdvertisedOldOneKeptWhileUsedThenRemoved) {
  fs::path v1 = fs::path(types_.path()) / "mock";
  fs::create_directories(v1);
  fs::copy_file(fs::path(MOCK_RESOURCE_DIR) / "rootfs.tgz", v1 / "rootfs.tgz");
  write_metadata(v1, "1.0.0");
  start_worker();

  json old = wait_mock_version("1.0.0", 30s);
  ASSERT_TRUE(old.is_object() && old.value("version", "") == "1.0.0") << old.dump();
  std::string old_image = old.value("image", "");
  ASSERT_EQ(old_image.rfind("raw://", 0), 0u) << old_image;
  std::string old_handle = handle_of(old_image);
  uint16_t bc = worker_->endpoints().baggageclaim;
  uint16_t garden = worker_->endpoints().garden;
  ASSERT_EQ(http("GET", bc, "/volumes/" + old_handle).status, 200);

  // A running build's rootfs: a copy-on-write child of the v1 install, and a container on it.
  auto cow =
      http("POST", bc, "/volumes",
           json{{"handle", "build-rootfs"}, {"strategy", {{"type", "cow"}, {"volume", old_handle}}}}
               .dump());
  ASSERT_EQ(cow.status, 201) << cow.body;
  std::string cow_path = json::parse(cow.body).value("path", "");
  auto ctr = http("POST", garden, "/containers",
                  json{{"handle", "old-build"}, {"rootfs", "raw://" + cow_path}}.dump());
  ASSERT_EQ(ctr.status, 200) << ctr.body;

  // Drop mock/2.0.0/ as an unpacked rootfs/ (a directory copy, so the watcher sees a burst of
  // writes and must wait for it to settle) while the worker runs.
  fs::path v2 = fs::path(types_.path()) / "mock" / "2.0.0";
  auto t0 = std::chrono::steady_clock::now();
  fs::create_directories(v2 / "rootfs");
  shell("tar xzf '" + (v1 / "rootfs.tgz").string() + "' -C '" + (v2 / "rootfs").string() + "'");
  std::ofstream(v2 / "rootfs/opt/resource/VERSION") << "2.0.0\n";
  write_metadata(v2, "2.0.0");

  json fresh = wait_mock_version("2.0.0", 20s);
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  ASSERT_EQ(fresh.value("version", ""), "2.0.0") << fresh.dump();
  std::cout << "drop-to-advertised-ms " << ms << "\n";
  std::string new_image = fresh.value("image", "");
  EXPECT_NE(new_image, old_image);
  EXPECT_TRUE(fs::is_regular_file(new_image.substr(6) + "/opt/resource/VERSION"));
  EXPECT_LT(ms, 10'000) << "advertised within seconds, not at the next 30 s heartbeat";

  // The running build keeps its rootfs; the worker stays reachable through the tunnel.
  EXPECT_EQ(http("GET", garden, "/containers/old-build/info").status, 200);
  EXPECT_TRUE(fs::is_regular_file(cow_path + "/opt/resource/check"));
  EXPECT_EQ(http("GET", bc, "/volumes/" + old_handle).status, 200) << "removed while in use";

  // The build ends and GC takes its container and rootfs: the v1 install goes too.
  EXPECT_EQ(http("DELETE", garden, "/containers/old-build").status / 100, 2);
  EXPECT_EQ(http("DELETE", bc, "/volumes/build-rootfs").status / 100, 2);
  EXPECT_TRUE(
      eventually([&] { return http("GET", bc, "/volumes/" + old_handle).status == 404; }, 15s))
      << "the superseded install was not removed once unused";
  EXPECT_EQ(http("GET", bc, "/volumes/" + handle_of(new_image)).status, 200);
  EXPECT_EQ(advertised_mock().value("version", ""), "2.0.0");
}

}  // namespace
