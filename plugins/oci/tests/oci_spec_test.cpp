#include <gtest/gtest.h>

#include <algorithm>

#include "oci_spec.hpp"
#include "resolv_conf.hpp"

using namespace concourse::oci;
using nlohmann::json;

namespace {

SpecInput basic() {
  SpecInput in;
  in.id = "h1";
  in.rootfs_path = "/var/rootfs";
  in.args = {"/tmp/garden-init"};
  in.env = {"PATH=/bin"};
  in.cgroups_path = "/concourse/h1";
  return in;
}

bool has_mount(const json& spec, const std::string& dst) {
  const auto& m = spec["mounts"];
  return std::any_of(m.begin(), m.end(), [&](const json& x) { return x["destination"] == dst; });
}

}  // namespace

TEST(OciSpec, BasicsAreThere) {
  json s = make_spec(basic());
  EXPECT_EQ(s["ociVersion"], "1.0.2");
  EXPECT_EQ(s["root"]["path"], "/var/rootfs");
  EXPECT_EQ(s["hostname"], "h1");
  EXPECT_EQ(s["process"]["args"], json::array({"/tmp/garden-init"}));
  EXPECT_EQ(s["linux"]["cgroupsPath"], "/concourse/h1");
  EXPECT_TRUE(has_mount(s, "/proc"));
  EXPECT_TRUE(has_mount(s, "/dev/pts"));
  EXPECT_FALSE(s["linux"].contains("uidMappings"));
  EXPECT_TRUE(s["linux"].contains("maskedPaths"));
  EXPECT_EQ(s["process"]["capabilities"]["bounding"].size(), default_capabilities().size());
  EXPECT_FALSE(s["linux"]["resources"].contains("memory"));
}

TEST(OciSpec, LimitsBecomeResources) {
  SpecInput in = basic();
  in.limits.memory_bytes = 32 << 20;
  in.limits.pids = 20;
  in.limits.cpu_shares = 512;
  json r = make_spec(in)["linux"]["resources"];
  EXPECT_EQ(r["memory"]["limit"], 32 << 20);
  EXPECT_EQ(r["memory"]["swap"], 32 << 20);  // swap defaults to the memory limit
  EXPECT_EQ(r["pids"]["limit"], 20);
  EXPECT_EQ(r["cpu"]["shares"], 512);
}

TEST(OciSpec, PrivilegedGetsAllCapsAndNoMasks) {
  SpecInput in = basic();
  in.privileged = true;
  json s = make_spec(in);
  EXPECT_FALSE(s["linux"].contains("maskedPaths"));
  auto caps = s["process"]["capabilities"]["bounding"];
  EXPECT_NE(std::find(caps.begin(), caps.end(), "CAP_SYS_ADMIN"), caps.end());
}

TEST(OciSpec, UserNamespaceNetnsMountsAndDns) {
  SpecInput in = basic();
  in.uid_maps = {{0, 100000, 65536}};
  in.netns_path = "/run/netns/x";
  in.mounts = {{"/host/a", "/a", true}, {"/host/b", "/b", false}};
  in.resolv_conf_path = "/bundle/resolv.conf";
  in.hosts_path = "/bundle/hosts";
  json s = make_spec(in);
  EXPECT_EQ(s["linux"]["uidMappings"][0]["hostID"], 100000);
  EXPECT_EQ(s["linux"]["gidMappings"][0]["size"], 65536);  // gid maps default to uid maps
  bool user = false, net_path = false;
  for (const auto& n : s["linux"]["namespaces"]) {
    user |= n["type"] == "user";
    net_path |= n.value("path", "") == "/run/netns/x";
  }
  EXPECT_TRUE(user);
  EXPECT_TRUE(net_path);
  EXPECT_TRUE(has_mount(s, "/etc/resolv.conf"));
  EXPECT_TRUE(has_mount(s, "/etc/hosts"));
  for (const auto& m : s["mounts"]) {
    if (m["destination"] == "/b") {
      EXPECT_NE(std::find(m["options"].begin(), m["options"].end(), "rw"), m["options"].end());
    }
  }
}

TEST(OciSpec, RelativePathsAreRefused) {
  SpecInput in = basic();
  in.rootfs_path = "rootfs";
  EXPECT_THROW(make_spec(in), std::invalid_argument);
  in = basic();
  in.cgroups_path = "concourse/x";  // runc would nest it under the worker's own cgroup
  EXPECT_THROW(make_spec(in), std::invalid_argument);
  in = basic();
  in.mounts = {{"/a", "relative", true}};
  EXPECT_THROW(make_spec(in), std::invalid_argument);
}

TEST(OciSpec, RootfsFromUri) {
  EXPECT_EQ(rootfs_from_uri("raw:///var/vol/1"), "/var/vol/1");
  EXPECT_THROW(rootfs_from_uri("docker:///busybox"), std::invalid_argument);
  EXPECT_THROW(rootfs_from_uri("raw://relative"), std::invalid_argument);
}

TEST(ResolvConf, LoopbackNameserversAreDropped) {
  std::string host = "# generated\nnameserver 127.0.0.53\nnameserver 10.0.0.2\nsearch corp\n";
  EXPECT_EQ(make_resolv_conf(host, {}), "# generated\nnameserver 10.0.0.2\nsearch corp\n");
}

TEST(ResolvConf, ConfiguredServersWin) {
  EXPECT_EQ(make_resolv_conf("nameserver 10.0.0.2\n", {"1.1.1.1", "8.8.8.8"}),
            "nameserver 1.1.1.1\nnameserver 8.8.8.8\n");
}

TEST(ResolvConf, MissingHostFileIsEmpty) {
  EXPECT_EQ(container_resolv_conf({}, "/nonexistent/resolv.conf"), "");
}
