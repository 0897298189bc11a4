// The sweepers against real, in-process Garden (fake runtime) and Baggageclaim servers on
// loopback, a recording TSA double, and the real GC plugins loaded through the plugin registry.
#include "worker/gc/sweeper.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "core/plugin/instance.hpp"
#include "core/plugin/registry.hpp"
#include "worker/baggageclaim/server.hpp"
#include "worker/garden/server.hpp"
#include "worker/garden/tests/fake_runtime.hpp"
#include "worker/gc/snapshot.hpp"
#include "worker/gc/tests/fake_tsa.hpp"
#include "worker/gc/tests/test_support.hpp"

namespace concourse::worker::gc {
namespace {

using nlohmann::json;
using testing::http;
using Handles = std::set<std::string>;
using namespace std::chrono_literals;
namespace plugin = concourse::core::plugin;

bool eventually(const std::function<bool()>& cond, std::chrono::milliseconds timeout = 5s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond())
      return true;
    std::this_thread::sleep_for(5ms);
  }
  return cond();
}

// Proposes every object it is shown: the host must refuse all but the admissible ones.
int32_t greedy_plan(cc_instance*, const cc_call_ctx*, const cc_gc_snapshot* s,
                    cc_gc_decision_sink* out, cc_error*) {
  for (size_t i = 0; i < s->object_count; ++i)
    out->remove(out->ctx, s->objects[i]->kind, s->objects[i]->handle, cc_str{"greedy", 6});
  out->remove(out->ctx, CC_GC_OBJECT_VOLUME, cc_str{"not-listed", 10}, cc_str{"greedy", 6});
  return CC_OK;
}

class Sweepers : public ::testing::Test {
 protected:
  void SetUp() override {
    garden::ServerOptions go;
    go.bind_ip = "127.0.0.1";
    go.bind_port = 0;
    garden_ = std::make_unique<garden::Server>(go, runtime_.binding(),
                                               concourse::log::Logger("garden-test"));
    garden_->start();
    baggageclaim::Options bo;
    bo.bind_port = 0;
    bo.volumes_dir = dir_.path() + "/volumes";
    bo.overlays_dir = dir_.path() + "/overlays";
    bo.driver = "naive";
    bc_ = std::make_unique<baggageclaim::Server>(bo, concourse::log::Logger("bc-test"));
    bc_->start();
  }
  void TearDown() override {
    sweeper_.reset();
    instance_.reset();
    registry_.reset();
    bc_->stop();
    garden_->stop();
  }

  LocalEndpoints endpoints() const {
    LocalEndpoints ep;
    ep.garden_port = garden_->port();
    ep.baggageclaim_port = bc_->port();
    return ep;
  }
  SweeperOptions options() const {
    SweeperOptions o;
    o.volumes_dir = dir_.path() + "/volumes";
    o.worker_json = [] { return std::string(R"({"name":"w1"})"); };
    return o;
  }
  Sweeper& make(GcStrategyBinding b, SweeperOptions o) {
    sweeper_ = std::make_unique<Sweeper>(std::move(o), tsa_, endpoints(), std::move(b),
                                         concourse::log::Logger("gc-test"));
    return *sweeper_;
  }
  Sweeper& make(GcStrategyBinding b) { return make(std::move(b), options()); }
  Sweeper& make_greedy() {
    greedy_vt_.struct_size = sizeof greedy_vt_;
    greedy_vt_.plan = &greedy_plan;
    return make({&greedy_vt_, reinterpret_cast<cc_instance*>(&greedy_vt_), "greedy@0.0.1"});
  }
  // Only the GC plugins: a plugin linking libprotobuf (runtime-containerd) cannot be unloaded
  // and loaded again in one process, and each make_plugin rescans.
  std::string gc_plugin_dir() {
    std::string dir = dir_.path() + "/gc-plugins";
    std::filesystem::create_directories(dir);
    for (const char* so : {"gc-default.so", "gc-disk-pressure.so"}) {
      std::filesystem::path src = std::filesystem::path(CONCOURSE_PLUGIN_DIR) / so;
      if (std::filesystem::exists(src))
        std::filesystem::copy_file(src, std::filesystem::path(dir) / so,
                                   std::filesystem::copy_options::overwrite_existing);
    }
    return dir;
  }
  // The real plugin .so, loaded the way the worker loads it.
  Sweeper& make_plugin(const std::string& spec, const std::string& config) {
    return make_plugin(spec, config, options());
  }
  Sweeper& make_plugin(const std::string& spec, const std::string& config, SweeperOptions o) {
    sweeper_.reset();
    instance_.reset();
    plugin::RegistryOptions ro;
    ro.cache_dir = dir_.path() + "/plugin-cache";
    registry_ = std::make_unique<plugin::Registry>(ro);
    registry_->scan(gc_plugin_dir());
    auto m = registry_->find(CC_KIND_GC_STRATEGY, spec);
    if (!m)
      throw std::runtime_error("gc plugin " + spec + " not found in " CONCOURSE_PLUGIN_DIR);
    instance_ = plugin::Instance::create(m, config, dir_.path());
    return make({instance_->vtable<cc_gc_vtable>(), instance_->get(), m->id()}, std::move(o));
  }

  void create_container(const std::string& h) {
    auto r = http("POST", garden_->port(), "/containers", json{{"handle", h}}.dump());
    ASSERT_EQ(r.status, 200) << r.body;
  }
  void create_volume(const std::string& h, const json& props = json::object(), size_t bytes = 0) {
    json body{{"handle", h}, {"strategy", {{"type", "empty"}}}, {"properties", props}};
    auto r = http("POST", bc_->port(), "/volumes", body.dump());
    ASSERT_EQ(r.status, 201) << r.body;
    if (bytes > 0)
      std::ofstream(json::parse(r.body).at("path").get<std::string>() + "/blob")
          << std::string(bytes, 'z');
  }
  Handles containers() {
    auto j = json::parse(http("GET", garden_->port(), "/containers").body)["Handles"];
    return j.is_null() ? Handles{} : j.get<Handles>();
  }
  Handles volumes() {
    Handles out;
    for (const auto& v : json::parse(http("GET", bc_->port(), "/volumes").body))
      out.insert(v["handle"].get<std::string>());
    return out;
  }

  testing::TempDir dir_;
  garden::testing::FakeRuntime runtime_;
  std::unique_ptr<garden::Server> garden_;
  std::unique_ptr<baggageclaim::Server> bc_;
  testing::FakeTsa tsa_;
  cc_gc_vtable greedy_vt_{};
  std::unique_ptr<plugin::Registry> registry_;
  std::unique_ptr<plugin::Instance> instance_;
  std::unique_ptr<Sweeper> sweeper_;
};

TEST_F(Sweepers, ReportsExactlyTheLocalHandlesThenSweeps) {
  create_container("c1");
  create_container("c2");
  create_volume("v1");
  create_volume("v2");
  make_plugin("default", "{}").run_once();
  EXPECT_EQ(tsa_.last_args("report-containers"), (Handles{"c1", "c2"}));
  EXPECT_EQ(tsa_.last_args("report-volumes"), (Handles{"v1", "v2"}));
  auto cmds = tsa_.commands();
  ASSERT_EQ(cmds.size(), 4u);
  EXPECT_EQ(cmds[1], "sweep-containers");  // report first, as the ATC confirms destruction by it
  EXPECT_EQ(cmds[3], "sweep-volumes");
  for (const auto& in : tsa_.stdins())
    EXPECT_EQ(in, R"({"name":"w1"})");
  EXPECT_EQ(containers(), (Handles{"c1", "c2"}));
  EXPECT_EQ(volumes(), (Handles{"v1", "v2"}));
}

TEST_F(Sweepers, DestroysWhatTheAtcMarkedDestroying) {
  create_container("c1");
  create_container("c2");
  create_volume("v1");
  create_volume("v2");
  tsa_.set_destroying_containers(R"(["c2","ghost"])");
  tsa_.set_destroying_volumes(R"(["v1"])");
  auto& s = make_plugin("default", "{}");
  auto rc = s.sweep_containers();
  auto rv = s.sweep_volumes();
  EXPECT_EQ(containers(), Handles{"c1"});
  EXPECT_EQ(volumes(), Handles{"v2"});
  EXPECT_EQ(Handles(rc.destroyed.begin(), rc.destroyed.end()), (Handles{"c2", "ghost"}));
  EXPECT_EQ(rv.destroyed, std::vector<std::string>{"v1"});
  EXPECT_TRUE(rc.failed.empty() && rv.failed.empty() && rc.refused.empty());
  // The next report no longer carries them, which is how the ATC learns they are gone.
  s.run_once();
  EXPECT_EQ(tsa_.last_args("report-containers"), Handles{"c1"});
  EXPECT_EQ(tsa_.last_args("report-volumes"), Handles{"v2"});
}

TEST_F(Sweepers, NeverDestroysWhatTheAtcReferencesEvenIfThePluginAsks) {
  create_container("c1");
  create_container("c2");
  create_volume("v1", {{kCacheProperty, "resource"}});
  create_volume("v2");
  tsa_.set_destroying_containers(R"(["c2"])");
  auto& s = make_greedy();
  auto rc = s.sweep_containers();
  auto rv = s.sweep_volumes();
  EXPECT_EQ(containers(), Handles{"c1"});
  EXPECT_EQ(volumes(), (Handles{"v1", "v2"}));
  // A volume proposed in the container sweep is of the wrong kind, so it is refused too.
  EXPECT_EQ(Handles(rc.refused.begin(), rc.refused.end()), (Handles{"c1", "not-listed"}));
  EXPECT_EQ(Handles(rv.refused.begin(), rv.refused.end()), (Handles{"v1", "v2", "not-listed"}));
  EXPECT_TRUE(rv.destroyed.empty());
}

TEST_F(Sweepers, DiskPressureEvictsOnlyUnreferencedCaches) {
  create_volume("warm-cache", {{kCacheProperty, "resource"}}, 4096);
  create_volume("cold-cache", {{kCacheProperty, "task"}, {kCacheReleasedProperty, "true"}}, 4096);
  create_volume("released-plain", {{kCacheReleasedProperty, "true"}}, 4096);
  create_volume("plain", json::object(), 4096);
  create_volume("dead");
  tsa_.set_destroying_volumes(R"(["dead"])");
  // No pressure: only what the ATC marked goes.
  make_plugin("disk-pressure", R"({"min_free_percent":0})").sweep_volumes();
  EXPECT_EQ(volumes(), (Handles{"warm-cache", "cold-cache", "released-plain", "plain"}));
  // Wanting 100% free is permanent pressure: every admissible cache goes, and only those.
  auto r = make_plugin("disk-pressure", R"({"min_free_percent":100})").sweep_volumes();
  EXPECT_EQ(volumes(), (Handles{"warm-cache", "released-plain", "plain"}));
  // "dead" is still listed by the ATC until a report confirms it; its DELETE is idempotent.
  EXPECT_EQ(Handles(r.destroyed.begin(), r.destroyed.end()), (Handles{"cold-cache", "dead"}));
  EXPECT_TRUE(r.refused.empty());
}

TEST_F(Sweepers, AFailedListingIsNotReportedButTheSweepStillRuns) {
  create_container("c1");
  tsa_.set_destroying_containers(R"(["c1"])");
  auto& s = make_plugin("default", "{}");
  garden_->stop();
  auto r = s.sweep_containers();
  EXPECT_FALSE(r.listed);
  EXPECT_EQ(tsa_.count("report-containers"), 0u);
  EXPECT_EQ(tsa_.count("sweep-containers"), 1u);
  EXPECT_EQ(r.failed, std::vector<std::string>{"c1"});  // Garden is down, so the DELETE fails
}

TEST_F(Sweepers, ATsaFailureSkipsTheRoundWithoutDestroying) {
  create_volume("v1");
  tsa_.set_destroying_volumes(R"(["v1"])");
  tsa_.fail_commands_starting_with("sweep-volumes");
  auto r = make_plugin("default", "{}").sweep_volumes();
  EXPECT_TRUE(r.reported);
  EXPECT_FALSE(r.swept);
  EXPECT_EQ(volumes(), Handles{"v1"});
}

TEST_F(Sweepers, DestroysWithBoundedConcurrency) {
  std::string list = "[";
  for (int i = 0; i < 6; ++i) {
    create_container("c" + std::to_string(i));
    list += std::string(i ? "," : "") + "\"c" + std::to_string(i) + "\"";
  }
  tsa_.set_destroying_containers(list + "]");
  auto o = options();
  o.container_max_in_flight = 2;
  make_plugin("default", "{}", o);
  runtime_.block_destroys();
  SweepResult r;
  std::thread t([&] { r = sweeper_->sweep_containers(); });
  EXPECT_TRUE(eventually([&] { return runtime_.destroys_entered() == 2; }));
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(runtime_.destroys_entered(), 2u);
  runtime_.release_destroys();
  t.join();
  EXPECT_EQ(r.destroyed.size(), 6u);
  EXPECT_TRUE(containers().empty());
}

TEST_F(Sweepers, SweepsEveryIntervalAndStopsPromptly) {
  auto o = options();
  o.interval = 20ms;
  make_plugin("default", "{}", o).start();
  EXPECT_TRUE(eventually(
      [&] { return tsa_.count("sweep-containers") >= 2 && tsa_.count("sweep-volumes") >= 2; }));
  sweeper_->stop();
  auto seen = tsa_.count("sweep-containers");
  std::this_thread::sleep_for(60ms);
  EXPECT_EQ(tsa_.count("sweep-containers"), seen);

  o.interval = std::chrono::hours(1);
  make_plugin("default", "{}", o).start();
  auto t0 = std::chrono::steady_clock::now();
  sweeper_->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 500ms);
}

}  // namespace
}  // namespace concourse::worker::gc
