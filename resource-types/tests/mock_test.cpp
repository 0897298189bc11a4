#include "harness.hpp"

#include <unistd.h>

using namespace rt_test;

namespace {

const std::string kMock = MOCK_RESOURCE_BIN;

// The resource reports "privileged" when container root is host root, which it is for a test
// run as root outside a user namespace.
bool privileged() {
  std::ifstream in("/proc/self/uid_map");
  long long a = -1, b = -1, c = 0;
  while (in >> a >> b >> c) {
    if (a == 0 && b == 0) {
      return true;
    }
  }
  return false;
}

json version(const std::string& v) {
  json out = {{"version", v}};
  if (privileged()) {
    out["privileged"] = "true";
  }
  return out;
}

}  // namespace

TEST(MockResource, CheckEmitsInitialVersionThenEchoesTheGivenOne) {
  ScratchDir dir;
  auto first = run_resource(kMock, "check", {{"source", json::object()}});
  ASSERT_EQ(first.rc, 0) << first.err;
  EXPECT_EQ(first.result, json::array({version("mock")}));
  auto custom = run_resource(kMock, "check", {{"source", {{"initial_version", "v1"}}}});
  EXPECT_EQ(custom.result, json::array({version("v1")}));
  auto echoed =
      run_resource(kMock, "check", {{"source", json::object()}, {"version", {{"version", "foo"}}}});
  EXPECT_EQ(echoed.result, json::array({version("foo")}));
}

TEST(MockResource, CheckHonoursNoInitialAndForcedVersions) {
  ScratchDir dir;
  auto none = run_resource(kMock, "check", {{"source", {{"no_initial_version", true}}}});
  ASSERT_EQ(none.rc, 0) << none.err;
  EXPECT_EQ(none.result, json::array());
  auto forced = run_resource(
      kMock, "check", {{"source", {{"force_version", "2025"}}}, {"version", {{"version", "x"}}}});
  EXPECT_EQ(forced.result, json::array({version("2025")}));
}

TEST(MockResource, CheckFailureAndDelayAndLog) {
  ScratchDir dir;
  auto failed = run_resource(kMock, "check", {{"source", {{"check_failure", "boom"}}}});
  EXPECT_NE(failed.rc, 0);
  EXPECT_NE(failed.err.find("intentionally failing to check: boom"), std::string::npos);
  auto bad_delay = run_resource(kMock, "check", {{"source", {{"check_delay", "soon"}}}});
  EXPECT_NE(bad_delay.rc, 0);
  auto logged = run_resource(kMock, "check",
                             {{"source", {{"log", "hello from mock"}, {"check_delay", "10ms"}}}});
  EXPECT_EQ(logged.rc, 0);
  EXPECT_NE(logged.err.find("hello from mock"), std::string::npos);
}

TEST(MockResource, InWritesVersionPrivilegedAndCreatedFiles) {
  ScratchDir dir;
  fs::path dest = dir / "get";
  json req = {{"source",
               {{"create_files", {{"a.txt", "from source"}, {"sub/b.json", {{"k", 1}}}}},
                {"metadata", {{{"name", "foo"}, {"value", "bar"}}}}}},
              {"params", {{"create_files_via_params", {{"a.txt", "from params"}}}}},
              {"version", {{"version", "42"}}}};
  auto r = run_resource(kMock, "in", req, {dest.string()});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.result["version"], json({{"version", "42"}}));
  EXPECT_EQ(r.result["metadata"], json::array({{{"name", "foo"}, {"value", "bar"}}}));
  using concourse::resource::read_file;
  EXPECT_EQ(read_file(dest / "version"), "42\n");
  EXPECT_EQ(read_file(dest / "privileged"), privileged() ? "true" : "false");
  EXPECT_EQ(read_file(dest / "a.txt"), "from params");
  EXPECT_EQ(json::parse(read_file(dest / "sub/b.json")), json({{"k", 1}}));
}

TEST(MockResource, InMirrorsItselfAsAnImage) {
  ScratchDir dir;
  fs::path fake_root = dir / "root";
  fs::create_directories(fake_root / "bin");
  fs::create_directories(fake_root / "proc" / "self");
  concourse::resource::write_file(fake_root / "bin" / "tool", "x");
  auto r = run_resource(
      kMock, "in", {{"source", {{"mirror_self", true}}}, {"version", {{"version", "7"}}}},
      {(dir / "get").string()}, {{"CONCOURSE_MOCK_MIRROR_ROOT", fake_root.string()}});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_TRUE(fs::exists(dir / "get/rootfs/bin/tool"));
  EXPECT_TRUE(fs::is_directory(dir / "get/rootfs/proc"));
  EXPECT_FALSE(fs::exists(dir / "get/rootfs/proc/self"));
  auto meta = json::parse(concourse::resource::read_file(dir / "get/metadata.json"));
  EXPECT_EQ(meta["env"], json::array({"MIRRORED_VERSION=7"}));
}

TEST(MockResource, OutEmitsParamVersionOrFileContents) {
  ScratchDir dir;
  fs::create_directories(dir / "put");
  auto r = run_resource(kMock, "out", {{"source", json::object()}, {"params", {{"version", "v9"}}}},
                        {(dir / "put").string()});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.result["version"], version("v9"));
  concourse::resource::write_file(dir / "put/ver", "from-file\n");
  auto f = run_resource(kMock, "out", {{"source", json::object()}, {"params", {{"file", "ver"}}}},
                        {(dir / "put").string()});
  EXPECT_EQ(f.result["version"], version("from-file"));
  auto missing = run_resource(kMock, "out", {{"source", json::object()}});
  EXPECT_NE(missing.rc, 0) << "out without a directory must fail";
}
