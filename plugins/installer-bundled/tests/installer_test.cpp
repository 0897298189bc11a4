// The bundled installer through its C++ class: discover layouts, install from rootfs.tgz and
// rootfs/, verify, and refusal of hostile archives.
#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "discover.hpp"
#include "installer.hpp"
#include "unpack.hpp"

namespace fs = std::filesystem;
using concourse::installer::Bundled;

namespace {

struct TarFile {
  TarFile(std::string n, std::string b, bool s = false, std::string h = {})
      : name(std::move(n)), body(std::move(b)), symlink(s), hardlink(std::move(h)) {}
  std::string name, body;
  bool symlink;
  std::string hardlink;
};

void write_tgz(const fs::path& out, const std::vector<TarFile>& files) {
  archive* a = archive_write_new();
  archive_write_add_filter_gzip(a);
  archive_write_set_format_pax_restricted(a);
  ASSERT_EQ(archive_write_open_filename(a, out.c_str()), ARCHIVE_OK);
  for (const auto& f : files) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, f.name.c_str());
    if (f.symlink) {
      archive_entry_set_filetype(e, AE_IFLNK);
      archive_entry_set_symlink(e, f.body.c_str());
      archive_entry_set_perm(e, 0777);
    } else if (!f.hardlink.empty()) {
      archive_entry_set_filetype(e, AE_IFREG);
      archive_entry_set_hardlink(e, f.hardlink.c_str());
    } else {
      archive_entry_set_filetype(e, AE_IFREG);
      archive_entry_set_perm(e, 0755);
      archive_entry_set_size(e, static_cast<la_int64_t>(f.body.size()));
    }
    archive_write_header(a, e);
    if (!f.symlink && f.hardlink.empty())
      archive_write_data(a, f.body.data(), f.body.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
}

void write_file(const fs::path& p, const std::string& body) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << body;
}

const std::vector<TarFile> kRootfs = {
    {"opt/resource/check", "#!/bin/sh\necho '[]'\n"},
    {"opt/resource/in", "check", true},
    {"etc/passwd", "root:x:0:0::/root:/bin/sh\n"},
};

class Installer : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("installer-test-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  void make_type(const fs::path& dir, const std::string& meta, bool tgz = true) {
    write_file(dir / "resource_metadata.json", meta);
    if (tgz) {
      write_tgz(dir / "rootfs.tgz", kRootfs);
    } else {
      write_file(dir / "rootfs/opt/resource/check", "#!/bin/sh\n");
      fs::create_symlink("check", dir / "rootfs/opt/resource/in");
    }
  }
  cc_resource_type_entry entry_for(const std::string& archive) {
    archive_ = archive;
    cc_resource_type_entry e{};
    e.struct_size = sizeof e;
    e.format = CC_RT_FORMAT_ROOTFS_TGZ;
    e.type = concourse::sdk::str("mock");
    e.version = concourse::sdk::str("1.0.0");
    e.rootfs_path = concourse::sdk::str(archive_);
    return e;
  }

  fs::path root_;
  std::string archive_;
  concourse::sdk::Host host_;
  Bundled installer_{host_, {}};
  concourse::sdk::Call call_{host_, nullptr};
};

TEST_F(Installer, DiscoversTypeAndVersionLayouts) {
  make_type(root_ / "git", R"({"type":"git","version":"1.0.0"})");
  make_type(root_ / "git/1.2.0", R"({"type":"git","version":"1.2.0","privileged":true})");
  make_type(root_ / "mock/2.0.0", R"({"type":"mock"})", false);
  fs::create_directories(root_ / "CMakeFiles");                             // no metadata: skipped
  write_file(root_ / "half/resource_metadata.json", R"({"type":"half"})");  // no rootfs yet
  write_file(root_ / "bad/resource_metadata.json", "{not json");
  write_tgz(root_ / "bad/rootfs.tgz", kRootfs);

  std::vector<std::string> storage;
  auto found = installer_.discover(call_, root_.string(), storage);
  ASSERT_EQ(found.size(), 3u);
  EXPECT_EQ(concourse::sdk::view(found[0].type), "git");
  EXPECT_EQ(concourse::sdk::view(found[0].version), "1.0.0");
  EXPECT_EQ(concourse::sdk::view(found[1].version), "1.2.0");
  EXPECT_EQ(found[1].privileged, 1u);
  EXPECT_EQ(found[1].format, static_cast<uint32_t>(CC_RT_FORMAT_ROOTFS_TGZ));
  EXPECT_EQ(concourse::sdk::view(found[2].type), "mock");
  EXPECT_EQ(concourse::sdk::view(found[2].version), "2.0.0");  // from the directory name
  EXPECT_EQ(found[2].format, static_cast<uint32_t>(CC_RT_FORMAT_ROOTFS_DIR));
  EXPECT_EQ(concourse::sdk::view(found[2].rootfs_path), (root_ / "mock/2.0.0/rootfs").string());
}

TEST_F(Installer, DiscoverOfMissingDirIsNotFound) {
  std::vector<std::string> storage;
  try {
    installer_.discover(call_, (root_ / "nope").string(), storage);
    FAIL() << "expected an error";
  } catch (const concourse::sdk::Error& e) {
    EXPECT_EQ(e.code(), CC_E_NOT_FOUND);
  }
}

TEST_F(Installer, InstallsTgzAndVerifies) {
  write_tgz(root_ / "rootfs.tgz", kRootfs);
  fs::create_directories(root_ / "target");
  auto e = entry_for((root_ / "rootfs.tgz").string());
  EXPECT_THROW(installer_.verify(call_, (root_ / "target").string()), concourse::sdk::Error);
  installer_.install(call_, e, (root_ / "target").string());
  installer_.verify(call_, (root_ / "target").string());
  EXPECT_TRUE(fs::is_regular_file(root_ / "target/opt/resource/check"));
  EXPECT_TRUE(fs::is_symlink(root_ / "target/opt/resource/in"));
  EXPECT_TRUE(fs::status(root_ / "target/opt/resource/check").permissions() >=
              fs::perms::owner_exec);
  // A second install into the now non-empty target is refused, not merged.
  EXPECT_THROW(installer_.install(call_, e, (root_ / "target").string()), concourse::sdk::Error);
}

TEST_F(Installer, InstallsRootfsDirectory) {
  make_type(root_ / "src", R"({"type":"mock"})", false);
  fs::create_directories(root_ / "target");
  auto e = entry_for((root_ / "src/rootfs").string());
  e.format = CC_RT_FORMAT_ROOTFS_DIR;
  installer_.install(call_, e, (root_ / "target").string());
  installer_.verify(call_, (root_ / "target").string());
  EXPECT_TRUE(fs::is_symlink(root_ / "target/opt/resource/in"));
}

TEST_F(Installer, TruncatedArchiveFailsAndDoesNotVerify) {
  write_tgz(root_ / "rootfs.tgz", kRootfs);
  auto size = fs::file_size(root_ / "rootfs.tgz");
  fs::resize_file(root_ / "rootfs.tgz", size / 2);  // a copy still in progress
  fs::create_directories(root_ / "target");
  EXPECT_THROW(installer_.install(call_, entry_for((root_ / "rootfs.tgz").string()),
                                  (root_ / "target").string()),
               concourse::sdk::Error);
  EXPECT_THROW(installer_.verify(call_, (root_ / "target").string()), concourse::sdk::Error);
}

void expect_refused(Installer* t, const fs::path& root, concourse::sdk::Call& call,
                    Bundled& installer, const std::vector<TarFile>& files) {
  (void)t;
  fs::remove_all(root / "target");
  fs::create_directories(root / "target");
  write_tgz(root / "hostile.tgz", files);
  cc_resource_type_entry e{};
  e.struct_size = sizeof e;
  e.format = CC_RT_FORMAT_ROOTFS_TGZ;
  std::string path = (root / "hostile.tgz").string();
  e.rootfs_path = concourse::sdk::str(path);
  try {
    installer.install(call, e, (root / "target").string());
    ADD_FAILURE() << "hostile archive was accepted";
  } catch (const concourse::sdk::Error& err) {
    EXPECT_EQ(err.code(), CC_E_INVALID) << err.what();
  }
}

TEST_F(Installer, RefusesHostileArchives) {
  expect_refused(this, root_, call_, installer_, {{"../escaped", "x"}});
  expect_refused(this, root_, call_, installer_, {{"opt/../../escaped", "x"}});
  expect_refused(this, root_, call_, installer_, {{"/tmp/absolute-escape", "x"}});
  expect_refused(this, root_, call_, installer_, {{"link", "", false, "../../etc/passwd"}});
  EXPECT_FALSE(fs::exists(root_ / "escaped"));
  EXPECT_FALSE(fs::exists("/tmp/absolute-escape"));
}

TEST_F(Installer, RefusesWritingThroughASymlink) {
  fs::create_directories(root_ / "outside");
  fs::create_directories(root_ / "target");
  write_tgz(root_ / "hostile.tgz",
            {{"dir", (root_ / "outside").string(), true}, {"dir/planted", "x"}});
  // libarchive either refuses or replaces the link with a real directory; never writes outside.
  try {
    installer_.install(call_, entry_for((root_ / "hostile.tgz").string()),
                       (root_ / "target").string());
    EXPECT_FALSE(fs::is_symlink(root_ / "target/dir"));
  } catch (const concourse::sdk::Error&) {
  }
  EXPECT_FALSE(fs::exists(root_ / "outside/planted"));
}

TEST(SafeEntryPath, Rules) {
  using concourse::installer::safe_entry_path;
  EXPECT_TRUE(safe_entry_path("opt/resource/check"));
  EXPECT_TRUE(safe_entry_path("./etc/passwd"));
  EXPECT_TRUE(safe_entry_path("a..b/c"));
  EXPECT_FALSE(safe_entry_path(""));
  EXPECT_FALSE(safe_entry_path("/etc/passwd"));
  EXPECT_FALSE(safe_entry_path("a/../../b"));
  EXPECT_FALSE(safe_entry_path(".."));
}

}  // namespace
