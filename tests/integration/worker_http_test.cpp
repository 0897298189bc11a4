// The real `concourse worker` binary with the real runtime and probe-basic plugins, driven over
// HTTP exactly as curl (or the ATC) would. The same suite runs against every runtime: ctest
// registers it once per runtime with CONCOURSE_TEST_RUNTIME (default houdini) and
// CONCOURSE_TEST_WORKER_ARGS (extra worker flags, split on spaces) in the environment.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "support/http.hpp"
#include "support/tar_builder.hpp"
#include "support/worker_process.hpp"

using concourse::testing::http;
using concourse::testing::shell;
using concourse::testing::TarBuilder;
using concourse::testing::TempDir;
using concourse::testing::test_worker_args;
using concourse::testing::WorkerProcess;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : fallback;
}

std::vector<std::string> suite_worker_args(const std::string& work_dir) {
  auto args =
      test_worker_args(work_dir, CONCOURSE_PLUGIN_DIR, env_or("CONCOURSE_TEST_RUNTIME", "houdini"));
  std::istringstream extra(env_or("CONCOURSE_TEST_WORKER_ARGS", ""));
  for (std::string a; extra >> a;)
    args.push_back(a);
  return args;
}

class WorkerHttp : public ::testing::Test {
 protected:
  void SetUp() override {
    worker_ = std::make_unique<WorkerProcess>(CONCOURSE_BIN, suite_worker_args(work_.path()));
    worker_->start();
  }
  void TearDown() override {
    if (worker_) {
      EXPECT_EQ(worker_->stop(SIGTERM), 0) << worker_->log();
    }
  }
  uint16_t garden() const { return worker_->endpoints().garden; }
  uint16_t bc() const { return worker_->endpoints().baggageclaim; }

  TempDir work_;
  std::unique_ptr<WorkerProcess> worker_;
};

}  // namespace

TEST_F(WorkerHttp, HealthIsOkWithEmptyBody) {
  auto r = http("GET", worker_->endpoints().health, "/");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(http("POST", worker_->endpoints().health, "/anything").status, 200);
}

TEST_F(WorkerHttp, ContainerLifecycleWithPropertiesAndFilters) {
  auto r = http("POST", garden(), "/containers",
                R"({"handle":"c1","properties":{"team":"main","kind":"task"}})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["Handle"], "c1");
  ASSERT_EQ(
      http("POST", garden(), "/containers", R"({"handle":"c2","properties":{"team":"x"}})").status,
      200);
  auto list = json::parse(http("GET", garden(), "/containers?team=main").body);
  EXPECT_EQ(list["Handles"], json::array({"c1"}));
  EXPECT_EQ(json::parse(http("GET", garden(), "/containers").body)["Handles"].size(), 2u);

  EXPECT_EQ(http("PUT", garden(), "/containers/c1/properties/color", R"({"value":"blue"})").status,
            200);
  EXPECT_EQ(json::parse(http("GET", garden(), "/containers/c1/properties/color").body)["value"],
            "blue");
  auto info = json::parse(http("GET", garden(), "/containers/c1/info").body);
  EXPECT_EQ(info["Properties"]["color"], "blue");
  EXPECT_TRUE(info.contains("ContainerPath"));

  EXPECT_EQ(http("DELETE", garden(), "/containers/c1").status, 200);
  auto gone = http("GET", garden(), "/containers/c1/info");
  EXPECT_EQ(gone.status, 404);
  EXPECT_EQ(json::parse(gone.body)["Type"], "ContainerNotFoundError");
}

TEST_F(WorkerHttp, StreamsFilesInAndOutOfAContainer) {
  ASSERT_EQ(http("POST", garden(), "/containers", R"({"handle":"s1"})").status, 200);
  TempDir src;
  std::ofstream(src.path() + "/a.txt") << "alpha\n";
  fs::create_directories(src.path() + "/d");
  std::ofstream(src.path() + "/d/b.txt") << "beta\n";
  std::string tar = shell("tar -C " + src.path() + " -cf - .");
  auto in = http("PUT", garden(), "/containers/s1/files?destination=/data", tar,
                 {{"Content-Type", "application/x-tar"}});
  ASSERT_EQ(in.status, 200) << in.body;
  auto out = http("GET", garden(), "/containers/s1/files?source=/data/");
  ASSERT_EQ(out.status, 200) << out.body;
  TempDir dst;
  std::ofstream(dst.path() + "/out.tar", std::ios::binary) << out.body;
  shell("tar -C " + dst.path() + " -xf " + dst.path() + "/out.tar");
  EXPECT_EQ(shell("cat " + dst.path() + "/d/b.txt"), "beta\n");
  EXPECT_EQ(http("GET", garden(), "/containers/s1/files?source=/nope").status, 404);
}

TEST_F(WorkerHttp, HostileInputGetsClearErrorsAndNoDamage) {
  auto bad = http("POST", garden(), "/containers", "{not json");
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_FALSE(json::parse(bad.body)["Message"].get<std::string>().empty());
  EXPECT_EQ(http("GET", garden(), "/containers/nope/info").status, 404);
  EXPECT_EQ(http("GET", garden(), "/no/such/route").status, 404);

  ASSERT_EQ(http("POST", garden(), "/containers", R"({"handle":"h1"})").status, 200);
  TempDir outside;
  std::string victim = outside.path() + "/victim";
  // An archive whose entry climbs out of the destination, and one that writes through a
  // symlink pointing outside it.
  std::string evil = TarBuilder().file("../../../../../../../.." + victim, "pwned\n").finish();
  std::string via_link =
      TarBuilder().symlink("escape", outside.path()).file("escape/victim", "pwned\n").finish();
  auto r = http("PUT", garden(), "/containers/h1/files?destination=/", evil);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_FALSE(fs::exists(victim));
  r = http("PUT", garden(), "/containers/h1/files?destination=/", via_link);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_FALSE(fs::exists(victim));

  auto vol = http("POST", bc(), "/volumes", R"({"handle":"v1","strategy":{"type":"empty"}})");
  ASSERT_EQ(vol.status, 201) << vol.body;
  auto vr = http("PUT", bc(), "/volumes/v1/stream-in?path=.", evil);
  EXPECT_EQ(vr.status, 400) << vr.body;
  EXPECT_FALSE(fs::exists(victim));
  vr = http("PUT", bc(), "/volumes/v1/stream-in?path=.", via_link);
  EXPECT_EQ(vr.status, 400) << vr.body;
  EXPECT_FALSE(fs::exists(victim));
  EXPECT_EQ(http("PUT", bc(), "/volumes/v1/stream-in?path=../..", TarBuilder().finish()).status,
            400);
  EXPECT_EQ(http("POST", bc(), "/volumes", "[1,2").status, 400);
  EXPECT_EQ(http("POST", bc(), "/volumes", R"({"strategy":{"type":"teleport"}})").status, 422);
}

TEST_F(WorkerHttp, VolumesStreamAndCopyOnWrite) {
  auto v = http("POST", bc(), "/volumes", R"({"handle":"p","strategy":{"type":"empty"}})");
  ASSERT_EQ(v.status, 201) << v.body;
  TempDir src;
  std::ofstream(src.path() + "/f") << "payload\n";
  std::string tgz = shell("tar -C " + src.path() + " -czf - .");
  ASSERT_EQ(http("PUT", bc(), "/volumes/p/stream-in?path=sub", tgz, {{"Content-Encoding", "gzip"}})
                .status,
            204);
  auto child =
      http("POST", bc(), "/volumes", R"({"handle":"c","strategy":{"type":"cow","volume":"p"}})");
  ASSERT_EQ(child.status, 201) << child.body;
  auto path = json::parse(child.body)["path"].get<std::string>();
  EXPECT_EQ(shell("cat " + path + "/sub/f"), "payload\n");
  auto out = http("PUT", bc(), "/volumes/c/stream-out?path=sub", "", {{"Accept-Encoding", "zstd"}});
  ASSERT_EQ(out.status, 200);
  TempDir dst;
  std::ofstream(dst.path() + "/o.tar.zst", std::ios::binary) << out.body;
  EXPECT_EQ(shell("zstd -dc " + dst.path() + "/o.tar.zst | tar -xOf - ./f"), "payload\n");
  // The worker's own resource-type installs are volumes too; count only this test's.
  size_t ours = 0;
  for (const auto& vol : json::parse(http("GET", bc(), "/volumes").body))
    if (vol.value("handle", "") == "p" || vol.value("handle", "") == "c")
      ++ours;
  EXPECT_EQ(ours, 2u);
  EXPECT_EQ(http("DELETE", bc(), "/volumes/c").status, 204);
  EXPECT_EQ(http("GET", bc(), "/volumes/c").status, 404);
}

TEST(WorkerRestart, ContainersAndVolumesSurviveARestart) {
  TempDir work;
  {
    WorkerProcess w(CONCOURSE_BIN, test_worker_args(work.path(), CONCOURSE_PLUGIN_DIR));
    w.start();
    ASSERT_EQ(http("POST", w.endpoints().garden, "/containers",
                   R"({"handle":"keep","properties":{"k":"v"}})")
                  .status,
              200);
    ASSERT_EQ(http("POST", w.endpoints().baggageclaim, "/volumes",
                   R"({"handle":"vol","strategy":{"type":"empty"},"properties":{"a":"b"}})")
                  .status,
              201);
    EXPECT_EQ(w.stop(SIGTERM), 0) << w.log();
  }
  WorkerProcess w(CONCOURSE_BIN, test_worker_args(work.path(), CONCOURSE_PLUGIN_DIR));
  w.start();
  auto info = http("GET", w.endpoints().garden, "/containers/keep/info");
  ASSERT_EQ(info.status, 200) << info.body;
  EXPECT_EQ(json::parse(info.body)["Properties"]["k"], "v");
  auto vol = http("GET", w.endpoints().baggageclaim, "/volumes/vol");
  ASSERT_EQ(vol.status, 200) << vol.body;
  EXPECT_EQ(json::parse(vol.body)["properties"]["a"], "b");
  EXPECT_EQ(w.stop(SIGINT), 0);
}

TEST(WorkerPlugins, BadPluginsAreRefusedAndTheRestLoad) {
  TempDir work, plugins;
  fs::copy(CONCOURSE_PLUGIN_DIR, plugins.path(), fs::copy_options::recursive);
  std::ofstream(plugins.path() + "/garbage.so") << "this is not an ELF object";
  fs::copy_file(std::string(ABI_FIXTURE_DIR) + "/segfaults.so", plugins.path() + "/crashes.so");
  fs::copy_file(std::string(ABI_FIXTURE_DIR) + "/minor_too_new.so", plugins.path() + "/newer.so");
  WorkerProcess w(CONCOURSE_BIN, test_worker_args(work.path(), plugins.path()));
  w.start();
  EXPECT_NE(w.log().find("garbage.so"), std::string::npos) << w.log();
  EXPECT_NE(w.log().find("entry-crashed"), std::string::npos) << w.log();
  EXPECT_NE(w.log().find("abi-minor-too-new"), std::string::npos) << w.log();
  EXPECT_EQ(http("GET", w.endpoints().health, "/").status, 200);
  w.stop();
}

TEST(WorkerPlugins, UnknownRuntimeIsAClearError) {
  TempDir work;
  WorkerProcess w(CONCOURSE_BIN, test_worker_args(work.path(), CONCOURSE_PLUGIN_DIR, "nosuch"));
  try {
    w.start();
    FAIL() << "worker started with an unknown runtime";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("runtime 'nosuch' not found"), std::string::npos)
        << e.what();
  }
}
