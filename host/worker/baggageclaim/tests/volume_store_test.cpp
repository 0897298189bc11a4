#include "worker/baggageclaim/volume_store.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "core/error.hpp"
#include "support/http.hpp"
#include "support/worker_process.hpp"
#include "worker/baggageclaim/driver.hpp"

namespace bc = concourse::worker::baggageclaim;
namespace fs = std::filesystem;
using concourse::testing::TempDir;

namespace {

std::string slurp(const std::string& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), {}};
}

class VolumeStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "overlay" && ::geteuid() != 0)
      GTEST_SKIP() << "overlay needs root";
    open();
  }
  void TearDown() override {
    if (store_) {
      for (const auto& v : store_->list({}))
        store_->destroy(v.handle);
    }
  }
  void open() {
    store_.reset();
    store_ = std::make_unique<bc::VolumeStore>(
        dir_.path() + "/volumes", bc::make_driver(GetParam(), dir_.path() + "/overlays"),
        concourse::log::Logger("test"));
  }
  TempDir dir_;
  std::unique_ptr<bc::VolumeStore> store_;
};

}  // namespace

TEST_P(VolumeStoreTest, EmptyAndCopyOnWriteChains) {
  auto parent = store_->create("p", {}, {{"k", "v"}}, false, 0);
  EXPECT_EQ(parent.path, dir_.path() + "/volumes/live/p/volume");
  std::ofstream(parent.path + "/f") << "from parent";
  bc::Strategy cow;
  cow.type = bc::Strategy::Type::Cow;
  cow.parent = "p";
  auto child = store_->create("c", cow, {}, false, 0);
  EXPECT_EQ(slurp(child.path + "/f"), "from parent");
  std::ofstream(child.path + "/f") << "changed in child";
  std::ofstream(child.path + "/g") << "new";
  EXPECT_EQ(slurp(parent.path + "/f"), "from parent") << "writes must not leak to the parent";
  EXPECT_FALSE(fs::exists(parent.path + "/g"));
  cow.parent = "c";
  auto grandchild = store_->create("gc", cow, {}, false, 0);
  EXPECT_EQ(slurp(grandchild.path + "/f"), "changed in child");
  EXPECT_EQ(slurp(grandchild.path + "/g"), "new");
  cow.parent = "missing";
  try {
    store_->create("x", cow, {}, false, 0);
    FAIL() << "created a child of a missing parent";
  } catch (const concourse::core::Error& e) {
    EXPECT_EQ(e.code(), CC_E_NOT_FOUND);
  }
  EXPECT_EQ(store_->list({{"k", "v"}}).size(), 1u);
}

TEST_P(VolumeStoreTest, SurvivesARestartAndCleansOrphans) {
  store_->create("a", {}, {{"x", "1"}}, true, 0);
  std::ofstream(store_->get("a")->path + "/data") << "kept";
  bc::Strategy cow;
  cow.type = bc::Strategy::Type::Cow;
  cow.parent = "a";
  store_->create("b", cow, {}, false, 0);
  fs::create_directories(dir_.path() + "/volumes/init/half-made/volume");
  open();
  auto a = store_->get("a");
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->privileged);
  EXPECT_EQ(a->properties.at("x"), "1");
  EXPECT_EQ(slurp(store_->get("b")->path + "/data"), "kept");
  EXPECT_FALSE(fs::exists(dir_.path() + "/volumes/init/half-made"));
}

TEST_P(VolumeStoreTest, ImportsDirectoriesAndTarballs) {
  TempDir src;
  std::ofstream(src.path() + "/x") << "imported";
  bc::Strategy imp;
  imp.type = bc::Strategy::Type::Import;
  imp.import_path = src.path();
  EXPECT_EQ(slurp(store_->create("i", imp, {}, false, 0).path + "/x"), "imported");
  concourse::testing::shell("tar -C " + src.path() + " -czf " + dir_.path() + "/r.tgz .");
  imp.import_path = dir_.path() + "/r.tgz";
  EXPECT_EQ(slurp(store_->create("t", imp, {}, false, 0).path + "/x"), "imported");
}

TEST_P(VolumeStoreTest, TtlExpiresVolumes) {
  store_->create("short", {}, {}, false, 1);
  store_->create("long", {}, {}, false, 0);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (store_->get("short") && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // condition poll, bounded
  }
  EXPECT_FALSE(store_->get("short"));
  EXPECT_TRUE(store_->get("long"));
}

INSTANTIATE_TEST_SUITE_P(Drivers, VolumeStoreTest, ::testing::Values("naive", "overlay"));

TEST(VolumeHandles, ValidatesAndGenerates) {
  EXPECT_FALSE(bc::valid_handle("../x"));
  EXPECT_FALSE(bc::valid_handle(".."));
  EXPECT_FALSE(bc::valid_handle(""));
  EXPECT_TRUE(bc::valid_handle("abc-123"));
  auto h = bc::new_handle();
  EXPECT_EQ(h.size(), 36u);
  EXPECT_EQ(h[14], '4');
  EXPECT_NE(h, bc::new_handle());
}
