// The worker's half of hot resource-type upgrades: the inotify watcher fires once a dropped
// version has settled, and ResourceTypeInstalls (with the real installer-bundled plugin and a
// real VolumeStore) installs it, advertises the newest version and removes the superseded one
// only once no copy-on-write child uses it.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "core/plugin/instance.hpp"
#include "core/plugin/registry.hpp"
#include "support/worker_process.hpp"
#include "worker/baggageclaim/volume_store.hpp"
#include "worker/resource_type_installs.hpp"
#include "worker/resource_type_watcher.hpp"

namespace fs = std::filesystem;
namespace bc = concourse::worker::baggageclaim;
namespace plugin = concourse::core::plugin;
using concourse::worker::ResourceTypeInstalls;
using concourse::worker::ResourceTypeWatcher;
using namespace std::chrono_literals;

namespace {

void make_version(const fs::path& dir, const std::string& version) {
  fs::create_directories(dir / "rootfs/opt/resource");
  std::ofstream(dir / "rootfs/opt/resource/check") << "#!/bin/sh\necho " << version << "\n";
  std::ofstream(dir / "resource_metadata.json")
      << R"({"type":"mock","version":")" << version << R"("})";
}

template <class F>
bool eventually(F f, std::chrono::milliseconds timeout = 10s) {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (f())
      return true;
    std::this_thread::sleep_for(20ms);
  }
  return f();
}

TEST(ResourceTypeWatcher, FiresOnceADroppedVersionSettles) {
  concourse::testing::TempDir d;
  std::atomic<int> changes{0};
  ResourceTypeWatcher w(
      d.path(), 300ms, 60s, [&](bool changed) { changes += changed ? 1 : 0; },
      concourse::log::Logger("test"));
  w.start();
  // A copy in progress: writes every 100 ms (under the settle time) keep the callback back.
  fs::path v = fs::path(d.path()) / "mock" / "1.1.0";
  fs::create_directories(v / "rootfs");
  auto last_write = std::chrono::steady_clock::now();
  for (int i = 0; i < 6; ++i) {
    std::ofstream(v / "rootfs" / ("f" + std::to_string(i))) << i;
    last_write = std::chrono::steady_clock::now();
    std::this_thread::sleep_for(100ms);
    EXPECT_EQ(changes.load(), 0) << "fired before the copy settled";
  }
  ASSERT_TRUE(eventually([&] { return changes.load() > 0; }, 3s));
  EXPECT_GE(std::chrono::steady_clock::now() - last_write, 280ms) << "fired before settling";
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(changes.load(), 1) << "one burst of writes, one callback";
  w.stop();
}

class Installs : public ::testing::Test {
 protected:
  void SetUp() override {
    plugin::RegistryOptions o;
    o.cache_dir = dir_.path() + "/plugin-cache";
    registry_ = std::make_unique<plugin::Registry>(std::move(o));
    registry_->scan(CONCOURSE_PLUGIN_DIR);
    auto mod = registry_->find(CC_KIND_RESOURCE_TYPE_INSTALLER, "bundled");
    ASSERT_TRUE(mod) << "installer-bundled.so not in " << CONCOURSE_PLUGIN_DIR;
    instance_ = plugin::Instance::create(mod, "{}", dir_.path());
    store_ = std::make_unique<bc::VolumeStore>(volumes_dir(),
                                               bc::make_driver("naive", dir_.path() + "/ov"),
                                               concourse::log::Logger("test"));
    installs_ = std::make_unique<ResourceTypeInstalls>(
        types_dir(),
        concourse::worker::InstallerBinding{instance_->vtable<cc_installer_vtable>(),
                                            instance_->get(), mod->id()},
        *store_, volumes_dir(), 0ms, concourse::log::Logger("test"));
  }
  std::string types_dir() const { return dir_.path() + "/types"; }
  std::string volumes_dir() const { return dir_.path() + "/volumes"; }

  concourse::testing::TempDir dir_;
  std::unique_ptr<plugin::Registry> registry_;
  std::unique_ptr<plugin::Instance> instance_;
  std::unique_ptr<bc::VolumeStore> store_;
  std::unique_ptr<ResourceTypeInstalls> installs_;
};

TEST_F(Installs, InstallsAdvertisesUpgradesAndRemovesWhenUnused) {
  make_version(fs::path(types_dir()) / "mock" / "1.0.0", "1.0.0");
  auto r = installs_->sync(true);
  ASSERT_EQ(r.installed.size(), 1u);
  EXPECT_TRUE(r.advertised_changed);
  auto adv = installs_->advertised();
  ASSERT_EQ(adv.size(), 1u) << adv.dump();
  EXPECT_EQ(adv[0]["version"], "1.0.0");
  std::string old_image = adv[0]["image"];
  ASSERT_EQ(old_image.rfind("raw://", 0), 0u);
  EXPECT_TRUE(fs::is_regular_file(old_image.substr(6) + "/opt/resource/check"));
  EXPECT_FALSE(installs_->sync(false).advertised_changed) << "nothing new: nothing changes";

  // A running container's rootfs: a copy-on-write child of the old install.
  auto old_vols = store_->list({{concourse::worker::kVersionProperty, "1.0.0"}});
  ASSERT_EQ(old_vols.size(), 1u);
  bc::Strategy cow;
  cow.type = bc::Strategy::Type::Cow;
  cow.parent = old_vols[0].handle;
  auto child = store_->create("container-rootfs", cow, {}, false, 0);

  make_version(fs::path(types_dir()) / "mock" / "1.1.0", "1.1.0");
  r = installs_->sync(true);
  EXPECT_TRUE(r.advertised_changed);
  EXPECT_TRUE(r.removed.empty()) << "the old install is still used";
  adv = installs_->advertised();
  ASSERT_EQ(adv.size(), 1u);
  EXPECT_EQ(adv[0]["version"], "1.1.0");
  EXPECT_NE(adv[0]["image"], old_image);
  EXPECT_TRUE(store_->get(old_vols[0].handle).has_value());
  EXPECT_EQ(store_->get(old_vols[0].handle)->properties.at(concourse::worker::kSupersededProperty),
            "true");

  store_->destroy(child.handle);  // the build finished, GC took its volumes
  r = installs_->sync(false);
  ASSERT_EQ(r.removed.size(), 1u);
  EXPECT_EQ(r.removed[0], old_vols[0].handle);
  EXPECT_FALSE(store_->get(old_vols[0].handle).has_value());
  EXPECT_FALSE(r.advertised_changed);
}

TEST_F(Installs, IncompleteSourceIsRetriedAndNeverAdvertised) {
  fs::path v = fs::path(types_dir()) / "mock" / "2.0.0";
  fs::create_directories(v);
  std::ofstream(v / "resource_metadata.json") << R"({"type":"mock","version":"2.0.0"})";
  std::ofstream(v / "rootfs.tgz") << "half a gzip";  // still being copied
  auto r = installs_->sync(true);
  EXPECT_EQ(r.failed.size(), 1u);
  EXPECT_TRUE(installs_->advertised().empty());
  EXPECT_TRUE(store_->list({}).empty()) << "a failed install leaves no volume behind";
  fs::remove(v / "rootfs.tgz");
  make_version(v, "2.0.0");
  r = installs_->sync(true);
  EXPECT_EQ(r.installed.size(), 1u);
  EXPECT_EQ(installs_->advertised().at(0)["version"], "2.0.0");
}

}  // namespace
