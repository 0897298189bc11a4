// `concourse quickstart` as a user runs it: no database, no keys, no flags beyond ports and a work
// dir; then `fly login` and `fly workers` must show its worker running. Restarting it on the same
// work dir reuses the cluster, the keys and the worker's containers.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "support/concourse_process.hpp"
#include "support/http.hpp"
#include "support/quickstart.hpp"
#include "support/worker_process.hpp"

namespace t = concourse::testing;
using namespace std::chrono_literals;

namespace {

uint16_t api_port(const nlohmann::json& ready) {
  return t::port_of(ready.value("url", ""));
}

// fly with its own HOME; returns stdout, throws on a non-zero exit.
std::string fly(const std::string& home, const std::string& args) {
  return t::shell("HOME='" + home + "' '" FLY_BIN "' " + args);
}

// An external observer can only poll: ask until the worker shows up in the wanted state.
bool wait_for_worker(const std::string& home, const std::string& state) {
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto workers = nlohmann::json::parse(fly(home, "-t qs workers --json"));
    for (const auto& w : workers)
      if (w.value("name", "") == "qs" && w.value("state", "") == state)
        return true;
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

TEST(Quickstart, StartsWithNoSetupAndFlyListsItsWorker) {
  t::TempDir parent, home;
  // The embedded PostgreSQL runs as its own user: the work dir's parents must be searchable,
  // as /tmp is for a user's real quickstart.
  std::filesystem::permissions(parent.path(), std::filesystem::perms::others_exec,
                               std::filesystem::perm_options::add);
  const std::string work = parent.path() + "/work";
  t::ConcourseProcess qs(CONCOURSE_BIN, "quickstart", t::quickstart_test_args(work));
  auto ready = qs.start("quickstart-ready", 90s);
  EXPECT_EQ(ready.value("postgres", ""), "embedded");
  EXPECT_EQ(ready.value("runtime", ""), "houdini");
  std::string url = "http://127.0.0.1:" + std::to_string(api_port(ready));
  fly(home.path(), "-t qs login -c " + url + " -u test -p test");
  ASSERT_TRUE(wait_for_worker(home.path(), "running")) << qs.log();
  auto workers = nlohmann::json::parse(fly(home.path(), "-t qs workers --json"));
  ASSERT_EQ(workers.size(), 1u);
  EXPECT_EQ(workers[0]["version"], "2.5");
  EXPECT_FALSE(workers[0]["resource_types"].empty());
  // The ATC reaches the worker's Garden through the TSA's reverse tunnel.
  auto addr = workers[0]["addr"].get<std::string>();
  EXPECT_EQ(t::http("GET", t::port_of(addr), "/ping").status, 200);
  EXPECT_EQ(t::http("POST", t::port_of(addr), "/containers", R"({"handle":"kept"})").status, 200);
  EXPECT_EQ(qs.stop(SIGTERM, 30s), 0) << qs.log();

  t::ConcourseProcess again(CONCOURSE_BIN, "quickstart", t::quickstart_test_args(work));
  auto ready2 = again.start("quickstart-ready", 90s);
  url = "http://127.0.0.1:" + std::to_string(api_port(ready2));
  fly(home.path(), "-t qs login -c " + url + " -u test -p test");
  ASSERT_TRUE(wait_for_worker(home.path(), "running")) << again.log();
  EXPECT_TRUE(std::filesystem::exists(work + "/containers/kept"));
  EXPECT_EQ(again.stop(SIGTERM, 30s), 0) << again.log();
}

TEST(Quickstart, UnknownFlagIsAUsageError) {
  t::ConcourseProcess qs(CONCOURSE_BIN, "quickstart", {"--no-such-flag"});
  EXPECT_THROW(qs.start("quickstart-ready", 10s), std::runtime_error);
  EXPECT_EQ(qs.wait_exit(5s), 2);
  EXPECT_NE(qs.log().find("no-such-flag"), std::string::npos) << qs.log();
}

}  // namespace
