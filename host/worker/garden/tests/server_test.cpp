// Every JSON route of the Garden server over real loopback HTTP, in front of the fake runtime.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <random>

#include "core/error.hpp"
#include "worker/garden/tests/server_fixture.hpp"

namespace concourse::worker::garden::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

// Runs a shell command and returns its stdout (tar archives in these tests).
std::string shell(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr)
    throw std::runtime_error("popen failed");
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0)
    out.append(buf, n);
  if (::pclose(p) != 0)
    throw std::runtime_error("command failed: " + cmd);
  return out;
}

struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/garden-test-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string path;
};

void expect_error(const HttpReply& r, int status, const std::string& type,
                  const std::string& message_part = "") {
  EXPECT_EQ(r.status, status) << r.body;
  ASSERT_EQ(r.headers.at("content-type"), "application/json") << r.body;
  auto j = r.json();
  EXPECT_EQ(j.at("Type"), type) << r.body;
  EXPECT_TRUE(j.contains("Message") && j.contains("Handle") && j.contains("ProcessID")) << r.body;
  if (!message_part.empty()) {
    EXPECT_NE(j["Message"].get<std::string>().find(message_part), std::string::npos) << r.body;
  }
}

class ServerRoutes : public GardenServerTest {
 protected:
  void SetUp() override { start(); }
};

TEST_F(ServerRoutes, PingAndCapacity) {
  auto ping = http(port(), "GET", "/ping");
  EXPECT_EQ(ping.status, 200);
  EXPECT_EQ(ping.body, "{}\n");
  auto cap = http(port(), "GET", "/capacity").json();
  EXPECT_EQ(cap["memory_in_bytes"], 8ull << 30);
  EXPECT_EQ(cap["disk_in_bytes"], 100ull << 30);
  EXPECT_EQ(cap["schedulable_disk_in_bytes"], 90ull << 30);
  EXPECT_EQ(cap["max_containers"], 250);
}

TEST_F(ServerRoutes, CreateListInfoPropertiesDestroy) {
  auto r = create("c1", R"("properties":{"team":"main","kind":"task"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, "{\"Handle\":\"c1\"}\n");
  ASSERT_EQ(create("c2", R"("properties":{"team":"x"})").status, 200);

  EXPECT_EQ(http(port(), "GET", "/containers?team=main").json()["Handles"], json({"c1"}));
  EXPECT_EQ(http(port(), "GET", "/containers?team=main&kind=task").json()["Handles"], json({"c1"}));
  EXPECT_EQ(http(port(), "GET", "/containers?team=main&team=x").json()["Handles"], json({"c1"}));
  EXPECT_EQ(http(port(), "GET", "/containers?team=nobody").json()["Handles"], json::array());
  EXPECT_EQ(http(port(), "GET", "/containers").json()["Handles"].size(), 2u);
  EXPECT_EQ(server_->container_count(), 2u);

  auto info = http(port(), "GET", "/containers/c1/info").json();
  for (const char* key : {"State", "Events", "HostIP", "ContainerIP", "ContainerIPv6", "ExternalIP",
                          "ContainerPath", "ProcessIDs", "Properties", "MappedPorts"}) {
    EXPECT_TRUE(info.contains(key)) << key;
  }
  EXPECT_EQ(info["State"], "active");
  EXPECT_EQ(info["Properties"]["team"], "main");

  EXPECT_EQ(http(port(), "GET", "/containers/c1/properties").json(),
            json({{"team", "main"}, {"kind", "task"}}));
  auto set = http(port(), "PUT", "/containers/c1/properties/color", R"({"value":"blue"})");
  EXPECT_EQ(set.status, 200);
  EXPECT_EQ(set.body, "{}\n");
  EXPECT_EQ(http(port(), "GET", "/containers/c1/properties/color").json(),
            json({{"value", "blue"}}));
  EXPECT_EQ(http(port(), "DELETE", "/containers/c1/properties/color").status, 200);
  expect_error(http(port(), "GET", "/containers/c1/properties/color"), 404, "",
               "property does not exist");
  expect_error(http(port(), "DELETE", "/containers/c1/properties/color"), 404, "");

  auto del = http(port(), "DELETE", "/containers/c1");
  EXPECT_EQ(del.status, 200);
  EXPECT_EQ(del.body, "{}\n");
  auto gone = http(port(), "GET", "/containers/c1/info");
  expect_error(gone, 404, "ContainerNotFoundError", "unknown handle: c1");
  EXPECT_EQ(gone.json()["Handle"], "c1");
  // Destroy is idempotent, as the runtime ABI requires.
  EXPECT_EQ(http(port(), "DELETE", "/containers/c1").status, 200);
}

TEST_F(ServerRoutes, CreateCarriesTheWholeSpecToTheRuntime) {
  auto r = create("full", R"("grace_time": 3600000000000, "env": ["A=1"],
      "bind_mounts": [{"src_path": "/tmp", "dst_path": "/mnt", "mode": 1}],
      "limits": {"memory_limits": {"limit_in_bytes": 1048576}, "cpu_limits": {"weight": 7},
                 "disk_limits": {"byte_hard": 99, "scope": 1},
                 "bandwidth_limits": {"rate": 5, "burst": 6}},
      "netout_rules": [{"protocol": 1}], "netin": [{"host_port": 8080, "container_port": 80}])");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(fake_->grace_of("full"), 3600000000000);
  EXPECT_EQ(http(port(), "GET", "/containers/full/limits/memory").json(),
            json({{"limit_in_bytes", 1048576}}));
  EXPECT_EQ(http(port(), "GET", "/containers/full/limits/cpu").json()["weight"], 7);
  auto disk = http(port(), "GET", "/containers/full/limits/disk").json();
  EXPECT_EQ(disk["byte_hard"], 99);
  EXPECT_EQ(disk["scope"], 1);
  EXPECT_EQ(http(port(), "GET", "/containers/full/limits/bandwidth").json(),
            json({{"rate", 5}, {"burst", 6}}));
  auto info = http(port(), "GET", "/containers/full/info").json();
  EXPECT_EQ(info["MappedPorts"], json::parse(R"([{"HostPort":8080,"ContainerPort":80}])"));
  auto run = run_process(port(), "full", {{"path", "sh"}, {"args", {"-c", "echo $A"}}});
  EXPECT_EQ(run.stdout_data, "1\n");
}

TEST_F(ServerRoutes, CreateWithoutAHandleGeneratesOneAndDuplicatesFail) {
  auto r = http(port(), "POST", "/containers", "{}");
  ASSERT_EQ(r.status, 200) << r.body;
  std::string handle = r.json()["Handle"];
  EXPECT_EQ(handle.size(), 36u);
  EXPECT_TRUE(fake_->has_container(handle));
  ASSERT_EQ(create("dup").status, 200);
  expect_error(create("dup"), 500, "", "already exists");
}

TEST_F(ServerRoutes, MalformedInputIs400WithAClearMessage) {
  ASSERT_EQ(create("h").status, 200);
  auto bad = http(port(), "POST", "/containers", "{not json");
  expect_error(bad, 400, "", "malformed JSON");
  expect_error(http(port(), "POST", "/containers", R"({"handle":5})"), 400, "", "\"handle\"");
  expect_error(http(port(), "POST", "/containers", "[]"), 400, "");
  expect_error(http(port(), "POST", "/containers", ""), 400, "");
  expect_error(http(port(), "POST", "/containers", R"({"handle":"../etc"})"), 400, "");
  expect_error(http(port(), "PUT", "/containers/h/properties/k", R"({"value":1})"), 400, "");
  expect_error(http(port(), "PUT", "/containers/h/grace_time", R"("5m")"), 400, "");
  expect_error(http(port(), "PUT", "/containers/h/grace_time", "-1"), 400, "");
  expect_error(http(port(), "PUT", "/containers/h/stop", R"({"kill":"yes"})"), 400, "");
  expect_error(http(port(), "POST", "/containers/h/processes", R"({"path":7})"), 400, "");
  expect_error(http(port(), "GET", "/containers/h%zz/info"), 400, "");
  expect_error(http(port(), "GET", "/containers/bulk_info"), 400, "");
  // Nothing of the above reached the runtime as a create.
  EXPECT_EQ(fake_->count_calls("container_create"), 1u);
}

TEST_F(ServerRoutes, UnknownRoutesAndMethodsAreJson) {
  expect_error(http(port(), "GET", "/no/such/route"), 404, "", "no route");
  expect_error(http(port(), "POST", "/ping"), 405, "");
}

TEST_F(ServerRoutes, UnknownHandlesAre404ContainerNotFound) {
  for (auto [method, path] :
       std::vector<std::pair<std::string, std::string>>{{"GET", "/containers/nope/info"},
                                                        {"GET", "/containers/nope/properties"},
                                                        {"GET", "/containers/nope/properties/k"},
                                                        {"GET", "/containers/nope/metrics"},
                                                        {"GET", "/containers/nope/limits/memory"},
                                                        {"GET", "/containers/nope/files?source=/x"},
                                                        {"GET", "/containers/nope/processes/p"}}) {
    expect_error(http(port(), method, path), 404, "ContainerNotFoundError", "unknown handle: nope");
  }
  expect_error(http(port(), "PUT", "/containers/nope/stop", R"({"kill":false})"), 404,
               "ContainerNotFoundError");
  expect_error(http(port(), "PUT", "/containers/nope/properties/k", R"({"value":"v"})"), 404,
               "ContainerNotFoundError");
  expect_error(http(port(), "PUT", "/containers/nope/grace_time", "1"), 404,
               "ContainerNotFoundError");
  expect_error(http(port(), "POST", "/containers/nope/processes", R"({"path":"true"})"), 404,
               "ContainerNotFoundError");
  expect_error(http(port(), "POST", "/containers/nope/net/in", R"({"host_port":0})"), 404,
               "ContainerNotFoundError");
}

TEST_F(ServerRoutes, NetInOutAndBulk) {
  ASSERT_EQ(create("n").status, 200);
  auto in = http(port(), "POST", "/containers/n/net/in",
                 R"({"handle":"n","host_port":0,"container_port":8080})");
  ASSERT_EQ(in.status, 200) << in.body;
  EXPECT_EQ(in.json(), json({{"host_port", 61000}, {"container_port", 8080}}));
  EXPECT_EQ(http(port(), "POST", "/containers/n/net/out",
                 R"({"protocol":1,"ports":[{"start":80,"end":80}]})")
                .body,
            "{}\n");
  EXPECT_EQ(http(port(), "POST", "/containers/n/net/out/bulk", R"([{"protocol":2},{}])").status,
            200);
  EXPECT_EQ(fake_->count_calls("net_out"), 3u);
  expect_error(http(port(), "POST", "/containers/n/net/out/bulk", R"({"protocol":2})"), 400, "");
  expect_error(http(port(), "POST", "/containers/n/net/out", R"({"protocol":9})"), 400, "");
}

TEST_F(ServerRoutes, BulkInfoAndBulkMetrics) {
  ASSERT_EQ(create("b1").status, 200);
  auto bulk = http(port(), "GET", "/containers/bulk_info?handles=b1,nope").json();
  EXPECT_EQ(bulk["b1"]["Err"], nullptr);
  EXPECT_EQ(bulk["b1"]["Info"]["State"], "active");
  EXPECT_EQ(bulk["nope"]["Err"]["Type"], "ContainerNotFoundError");
  EXPECT_EQ(http(port(), "GET", "/containers/bulk_info?handles=").json(), json::object());

  auto metrics = http(port(), "GET", "/containers/bulk_metrics?handles=b1,nope").json();
  EXPECT_EQ(metrics["b1"]["Err"], nullptr);
  EXPECT_EQ(metrics["b1"]["Metrics"]["MemoryStat"]["TotalUsageTowardLimit"], 4096);
  EXPECT_EQ(metrics["nope"]["Err"]["Type"], "ContainerNotFoundError");

  auto one = http(port(), "GET", "/containers/b1/metrics").json();
  EXPECT_EQ(one["CPUStat"]["Usage"], 1000);
  EXPECT_EQ(one["PidStat"]["Current"], 3);
  EXPECT_EQ(one["Age"], 5000000000);
}

TEST_F(ServerRoutes, StopSignalsTheContainersProcesses) {
  ASSERT_EQ(create("s").status, 200);
  auto session = ProcessSession::run(port(), "s", {{"path", "sleep"}, {"args", {"30"}}});
  auto stop = http(port(), "PUT", "/containers/s/stop", R"({"kill":true})");
  EXPECT_EQ(stop.status, 200);
  EXPECT_EQ(stop.body, "{}\n");
  EXPECT_EQ(session.wait().exit_status, 137);
}

TEST_F(ServerRoutes, ConcurrentDestroyOfOneHandleIsRefused) {
  ASSERT_EQ(create("d").status, 200);
  fake_->block_destroys();
  auto first =
      std::async(std::launch::async, [&] { return http(port(), "DELETE", "/containers/d"); });
  ASSERT_TRUE(eventually([&] { return fake_->destroys_entered() == 1; }));
  expect_error(http(port(), "DELETE", "/containers/d"), 500, "",
               "container already being destroyed");
  fake_->release_destroys();
  EXPECT_EQ(first.get().status, 200);
  EXPECT_EQ(fake_->destroys_entered(), 1u);
  EXPECT_FALSE(fake_->has_container("d"));
}

TEST_F(ServerRoutes, StreamInAndOutRoundTrip) {
  ASSERT_EQ(create("s1").status, 200);
  TempDir src, dst;
  std::ofstream(src.path + "/a.txt") << "alpha\n";
  fs::create_directories(src.path + "/d");
  {
    // Large enough to need many pipe refills and splices.
    std::mt19937 rng(7);
    std::string big(6 << 20, '\0');
    for (auto& c : big)
      c = static_cast<char>(rng());
    std::ofstream(src.path + "/d/big.bin", std::ios::binary) << big;
  }
  std::string tar = shell("tar -C " + src.path + " -cf - .");
  auto in = http(port(), "PUT", "/containers/s1/files?destination=data&user=root", tar,
                 "application/x-tar");
  ASSERT_EQ(in.status, 200) << in.body;
  EXPECT_EQ(in.body, "{}\n");
  EXPECT_TRUE(fs::exists(fake_->container_dir("s1") + "/data/d/big.bin"));

  auto out = http(port(), "GET", "/containers/s1/files?source=data/");
  ASSERT_EQ(out.status, 200);
  EXPECT_EQ(out.headers["content-type"], "application/x-tar");
  std::ofstream(dst.path + "/out.tar", std::ios::binary) << out.body;
  shell("tar -C " + dst.path + " -xf " + dst.path + "/out.tar");
  EXPECT_EQ(shell("cat " + dst.path + "/a.txt"), "alpha\n");
  EXPECT_EQ(shell("cmp " + src.path + "/d/big.bin " + dst.path + "/d/big.bin && echo same"),
            "same\n");

  std::string tgz = shell("tar -C " + src.path + " -czf - a.txt");
  auto gz = http(port(), "PUT", "/containers/s1/files?destination=gz", tgz, "application/x-tar",
                 {{"Content-Encoding", "gzip"}});
  ASSERT_EQ(gz.status, 200) << gz.body;
  EXPECT_TRUE(fs::exists(fake_->container_dir("s1") + "/gz/a.txt"));
  expect_error(http(port(), "PUT", "/containers/s1/files?destination=x", tgz, "application/x-tar",
                    {{"Content-Encoding", "br"}}),
               400, "", "unsupported Content-Encoding");

  expect_error(http(port(), "GET", "/containers/s1/files?source=nope"), 404, "", "no such file");
  expect_error(http(port(), "PUT", "/containers/s1/files?destination=x", "this is not a tar",
                    "application/x-tar"),
               400, "", "tar rejected");
}

TEST_F(ServerRoutes, StreamOutFailingMidwayTruncatesAfterTheHead) {
  ASSERT_EQ(create("f").status, 200);
  fake_->fail_stream_out_after(1000);
  auto out = http(port(), "GET", "/containers/f/files?source=x");
  EXPECT_EQ(out.status, 200);
  EXPECT_EQ(out.body, std::string(1000, 'x'));
}

TEST_F(ServerRoutes, BindFailureIsAClearError) {
  Server other(ServerOptions{"127.0.0.1", port(), {}, {}}, fake_->binding(),
               concourse::log::Logger("garden-test"));
  try {
    other.start();
    FAIL() << "second bind on the same port succeeded";
  } catch (const core::Error& e) {
    EXPECT_NE(std::string(e.what()).find("listen on 127.0.0.1:" + std::to_string(port()) + ": "),
              std::string::npos)
        << e.what();
  }
}

class ServerCapabilities : public GardenServerTest {};

TEST_F(ServerCapabilities, MissingCapabilitiesAnswer500WithoutCallingThePlugin) {
  start({}, /*capabilities=*/0);
  ASSERT_EQ(create("c").status, 200);
  expect_error(http(port(), "POST", "/containers/c/net/in", R"({"host_port":1})"), 500, "",
               "net in is not supported by runtime fake@1.0.0");
  expect_error(http(port(), "POST", "/containers/c/net/out", R"({})"), 500, "",
               "net out is not supported by runtime fake@1.0.0");
  expect_error(http(port(), "GET", "/containers/c/metrics"), 500, "",
               "metrics is not supported by runtime fake@1.0.0");
  expect_error(http(port(), "GET", "/containers/bulk_metrics?handles=c"), 500, "",
               "metrics is not supported");
  expect_error(http(port(), "POST", "/containers/c/processes",
                    R"({"path":"true","tty":{"window_size":{"columns":80,"rows":24}}})"),
               500, "", "tty is not supported by runtime fake@1.0.0");
  for (const char* slot : {"net_in", "net_out", "container_metrics", "process_run"}) {
    EXPECT_EQ(fake_->count_calls(slot), 0u) << slot;
  }
}

TEST_F(ServerCapabilities, NullSlotsAndShortTablesAreUnsupported) {
  start({}, kFakeCapabilities, [](cc_runtime_vtable& vt) {
    vt.container_metrics = nullptr;
    // A plugin built against an older minor whose table ends before stream_out.
    vt.struct_size = static_cast<uint32_t>(offsetof(cc_runtime_vtable, stream_out));
  });
  ASSERT_EQ(create("c").status, 200);
  expect_error(http(port(), "GET", "/containers/c/metrics"), 500, "",
               "metrics is not supported by runtime fake@1.0.0");
  expect_error(http(port(), "GET", "/containers/c/files?source=x"), 500, "",
               "stream out is not supported by runtime fake@1.0.0");
  EXPECT_EQ(fake_->count_calls("stream_out"), 0u);
}

class GraceTime : public GardenServerTest {};

TEST_F(GraceTime, ShortGraceReapsAndActivityPostponesIt) {
  start();
  ASSERT_EQ(create("short", R"("grace_time":100000000)").status, 200);
  ASSERT_EQ(create("busy", R"("grace_time":600000000)").status, 200);
  ASSERT_TRUE(eventually([&] { return !fake_->has_container("short"); }, 5s));
  // Keep touching "busy" well inside its grace time: it must survive all of it.
  auto t0 = Clock::now();
  while (Clock::now() - t0 < 1500ms) {
    ASSERT_EQ(http(port(), "GET", "/containers/busy/info").status, 200);
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(fake_->has_container("busy"));
  ASSERT_TRUE(eventually([&] { return !fake_->has_container("busy"); }, 5s));
}

TEST_F(GraceTime, DefaultGraceAppliesAndZeroMeansNever) {
  ServerOptions opts;
  opts.default_grace_time = 100ms;
  start(opts);
  ASSERT_EQ(create("defaulted").status, 200);
  ASSERT_TRUE(eventually([&] { return !fake_->has_container("defaulted"); }, 5s));

  ASSERT_EQ(create("kept", R"("grace_time":1000000000)").status, 200);
  ASSERT_EQ(http(port(), "PUT", "/containers/kept/grace_time", "0").status, 200);
  EXPECT_EQ(fake_->grace_of("kept"), 0);
  // "witness" starts after "kept" was set to never, with a longer grace than "kept" had: once it
  // is gone, "kept" has outlived any countdown it could still have had.
  ASSERT_EQ(create("witness", R"("grace_time":1200000000)").status, 200);
  ASSERT_TRUE(eventually([&] { return !fake_->has_container("witness"); }, 5s));
  EXPECT_TRUE(fake_->has_container("kept"));
}

TEST_F(GraceTime, RunningProcessesPauseTheCountdown) {
  start();
  ASSERT_EQ(create("running", R"("grace_time":400000000)").status, 200);
  auto session = ProcessSession::run(port(), "running", {{"path", "cat"}});
  ASSERT_EQ(create("idle", R"("grace_time":400000000)").status, 200);
  ASSERT_TRUE(eventually([&] { return !fake_->has_container("idle"); }, 5s));
  EXPECT_TRUE(fake_->has_container("running"));
  session.close_stdin();
  EXPECT_EQ(session.wait().exit_status, 0);
  ASSERT_TRUE(eventually([&] { return !fake_->has_container("running"); }, 5s));
}

TEST_F(GraceTime, StartRearmsContainersTheRuntimeAlreadyHas) {
  fake_ = std::make_unique<FakeRuntime>();
  cc_container_spec spec{};
  spec.struct_size = sizeof spec;
  spec.handle = cc_str{"old", 3};
  spec.grace_time_ns = 100'000'000;
  cc_error err{};
  err.struct_size = sizeof err;
  ASSERT_EQ(fake_->vtable().container_create(reinterpret_cast<cc_instance*>(fake_.get()), nullptr,
                                             &spec, &err),
            CC_OK);
  server_ = std::make_unique<Server>(ServerOptions{"127.0.0.1", 0, {}, 5s}, fake_->binding(),
                                     concourse::log::Logger("garden-test"));
  server_->start();
  ASSERT_TRUE(eventually([&] { return !fake_->has_container("old"); }, 5s));
}

}  // namespace
}  // namespace concourse::worker::garden::testing
