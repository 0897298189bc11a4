// Proves the packed images are self-contained: extract rootfs.tgz and run the resource
// chrooted into it, with nothing from the host but the devices houdini would bind-mount.
#include "harness.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

using namespace rt_test;

namespace {

const fs::path kTypes = RESOURCE_TYPES_DIR;

fs::path extract(const ScratchDir& dir, const std::string& type) {
  fs::path root = dir / ("rootfs-" + type);
  fs::create_directories(root);
  ProcessOptions opts;
  auto r = run_process(
      {"tar", "-xzf", (kTypes / type / "rootfs.tgz").string(), "-C", root.string()}, opts);
  EXPECT_EQ(r.exit_code, 0);
  return root;
}

Outcome run_chrooted(const fs::path& root, const std::vector<std::string>& cmd, const json& req) {
  // Resolved here: the PATH handed to the child below is the image's, not the host's.
  std::string chroot = fs::exists("/usr/sbin/chroot") ? "/usr/sbin/chroot" : "chroot";
  std::vector<std::string> argv = {chroot, root.string()};
  argv.insert(argv.end(), cmd.begin(), cmd.end());
  ProcessOptions opts;
  opts.stdin_data = req.dump();
  opts.capture_stderr = true;
  // The worker's environment is not the image's: point HOME and TMPDIR inside the rootfs.
  opts.env = {{"HOME", "/root"}, {"TMPDIR", "/tmp"}, {"PATH", "/usr/bin:/bin"}};
  auto r = run_process(argv, opts);
  Outcome o{r.exit_code, nullptr, r.err};
  if (r.exit_code == 0) {
    o.result = json::parse(r.out);
  }
  return o;
}

void make_devices(const fs::path& root) {
  ASSERT_EQ(::mknod((root / "dev/null").c_str(), S_IFCHR | 0666, makedev(1, 3)), 0);
  ASSERT_EQ(::mknod((root / "dev/urandom").c_str(), S_IFCHR | 0666, makedev(1, 9)), 0);
}

}  // namespace

TEST(ResourceMetadata, EveryTypeHasMetadataAndAnImage) {
  for (const char* type : {"mock", "time", "git", "semver"}) {
    auto md = json::parse(concourse::resource::read_file(kTypes / type / "resource_metadata.json"));
    EXPECT_EQ(md["type"], type);
    EXPECT_FALSE(md["version"].get<std::string>().empty());
    EXPECT_EQ(md["privileged"], false);
    EXPECT_EQ(md["unique_version_history"], false);
    EXPECT_TRUE(fs::exists(kTypes / type / "rootfs.tgz"));
  }
}

TEST(Rootfs, GitImageChecksGetsAndPutsWhenChrooted) {
  if (::geteuid() != 0) {
    GTEST_SKIP() << "chroot needs root; run as root to prove the image is self-contained";
  }
  ScratchDir dir;
  fs::path root = extract(dir, "git");
  make_devices(root);
  fs::path repo = root / "srv/repo";
  fs::create_directories(repo);
  git(repo, {"init", "-q", "-b", "main"});
  std::string c1 = commit_file(repo, "a", "1", "first");
  std::string c2 = commit_file(repo, "b", "2", "second");
  json src = {{"uri", "file:///srv/repo"}, {"branch", "main"}};
  auto check =
      run_chrooted(root, {"/opt/resource/check"}, {{"source", src}, {"version", {{"ref", c1}}}});
  ASSERT_EQ(check.rc, 0) << check.err;
  EXPECT_EQ(refs_of(check.result), (std::vector<std::string>{c1, c2}));

  auto get = run_chrooted(root, {"/opt/resource/in", "/tmp/build/get"},
                          {{"source", src}, {"version", {{"ref", c2}}}});
  ASSERT_EQ(get.rc, 0) << get.err;
  EXPECT_TRUE(fs::exists(root / "tmp/build/get/b"));

  fs::create_directories(root / "tmp/build/put");
  fs::rename(root / "tmp/build/get", root / "tmp/build/put/repo");
  commit_file(root / "tmp/build/put/repo", "c", "3", "third");
  git(repo, {"checkout", "-q", "--detach"});  // a non-bare remote refuses pushes to its branch
  auto put =
      run_chrooted(root, {"/opt/resource/out", "/tmp/build/put"},
                   {{"source", src}, {"params", {{"repository", "repo"}, {"rebase", true}}}});
  ASSERT_EQ(put.rc, 0) << put.err;
  EXPECT_EQ(git(repo, {"rev-parse", "main"}), put.result["version"]["ref"]);
}

TEST(Rootfs, MockAndTimeImagesRunWhenChrooted) {
  if (::geteuid() != 0) {
    GTEST_SKIP() << "chroot needs root; run as root to prove the image is self-contained";
  }
  ScratchDir dir;
  fs::path mock = extract(dir, "mock");
  auto m = run_chrooted(mock, {"/opt/resource/check"}, {{"source", {{"initial_version", "x"}}}});
  // /proc is bind-mounted by the runtime; without it privilege detection must fail clearly.
  EXPECT_NE(m.rc, 0);
  EXPECT_NE(m.err.find("uid_map"), std::string::npos);
  fs::path time_root = extract(dir, "time");
  auto t = run_chrooted(time_root, {"/opt/resource/out", "/tmp/put"},
                        {{"source", {{"location", "America/New_York"}}}});
  ASSERT_EQ(t.rc, 0) << t.err;
  std::string stamp = t.result["version"]["time"];
  EXPECT_TRUE(stamp.ends_with("-04:00") || stamp.ends_with("-05:00")) << stamp;
}
