// guardian's networking with real runc/crun containers on a busybox rootfs: the bridge between
// containers, host access, resolv.conf, net_in, net_out, destroy and restart. Each test uses its
// own bridge and pool (ctest runs tests in parallel); all traffic stays inside the machine.
// Skips (with the reason) without root, cgroups v1, the OCI binary, busybox or iptables.
#include <gtest/gtest.h>
#include <net/if.h>

#include "guardian_harness.hpp"
#include "host_net.hpp"
#include "net_helpers.hpp"
#include "resolv_conf.hpp"

namespace fs = std::filesystem;
using concourse::testing::TempDir;
using guardian_test::Greeter;
using guardian_test::Runtime;
using guardian_test::sh;
using guardian_test::sh_ok;
using nlohmann::json;

namespace {

class GuardianNet : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = guardian_test::skip_reason(bin()); !why.empty())
      GTEST_SKIP() << why;
  }
  virtual std::string bin() const { return "runc"; }
  // An instance on bridge ccnt<slot>-<n> with pool 10.199.<4*slot+n>.0/24; `extra` overrides.
  std::unique_ptr<Runtime> runtime(int slot, int n = 0, json extra = json::object()) {
    json cfg = {{"bridge", bridge(slot, n)},
                {"network_pool", "10.199." + std::to_string(4 * slot + n) + ".0/24"},
                {"network_state_dir", work_.path() + "/net"},
                {"depot", work_.path() + "/depot" + std::to_string(n)},
                {"destroy_on_exit", true}};
    for (auto& [k, v] : extra.items())
      cfg[k] = v;
    return std::make_unique<Runtime>(bin(), cfg, work_.path() + "/w" + std::to_string(n));
  }
  static std::string bridge(int slot, int n) {
    return "ccnt" + std::to_string(slot) + "-" + std::to_string(n);
  }
  static std::string ip_of(Runtime& r, const std::string& h) {
    return r.rt().info(r.call(), h).container_ip;
  }

  TempDir work_;  // first: outlives the runtimes
};

class GuardianNetBin : public GuardianNet, public ::testing::WithParamInterface<std::string> {
 protected:
  std::string bin() const override { return GetParam(); }
};

concourse::sdk::NetOutRule tcp_to(const std::string& ip, uint32_t port) {
  concourse::sdk::NetOutRule r;
  r.protocol = CC_PROTO_TCP;
  r.networks = {{ip, ip}};
  r.ports = {{port, port}};
  return r;
}

}  // namespace

TEST_P(GuardianNetBin, ContainersTalkOverTheBridge) {
  auto r = runtime(GetParam() == "runc" ? 0 : 1);
  r->create("a");
  r->create("b");
  auto ia = r->rt().info(r->call(), "a");
  std::string ipb = ip_of(*r, "b");
  EXPECT_NE(ia.container_ip, ipb);
  EXPECT_EQ(ia.host_ip, "10.199." + std::to_string(GetParam() == "runc" ? 0 : 4) + ".1");
  auto route = r->run("a", "ip route; ip -4 addr show eth0");
  EXPECT_NE(route.out.find("default via " + ia.host_ip), std::string::npos) << route.out;
  EXPECT_NE(route.out.find(ia.container_ip + "/24"), std::string::npos) << route.out;

  auto ping = r->run("a", "ping -c 1 -W 5 " + ipb);
  EXPECT_EQ(ping.status, 0) << ping.out << ping.err;
  auto listener = r->start("b", "nc -l -p 7000");
  ASSERT_EQ(r->run("b", guardian_test::wait_listening_script(7000)).status, 0);
  auto send = r->run("a", "echo hello over the bridge | nc " + ipb + " 7000");
  EXPECT_EQ(send.status, 0) << send.err;
  auto got = r->finish(listener);
  EXPECT_EQ(got.out, "hello over the bridge\n") << got.err;
}

INSTANTIATE_TEST_SUITE_P(Runtimes, GuardianNetBin, ::testing::Values("runc", "crun"));

TEST_F(GuardianNet, HostAddressesNeedAllowHostAccess) {
  Greeter host("0.0.0.0", 0, "host-hi");
  std::string outbound = concourse::guardian::outbound_interface().ipv4;
  auto denied = runtime(2, 0);
  auto allowed = runtime(2, 1, {{"allow_host_access", true}});
  denied->create("d");
  allowed->create("a");
  std::vector<std::string> targets = {"10.199.8.1", "10.199.9.1"};  // the gateways
  for (const auto& [r, h, gw] :
       {std::tuple{denied.get(), "d", targets[0]}, std::tuple{allowed.get(), "a", targets[1]}}) {
    std::vector<std::string> addrs = {gw};
    if (!outbound.empty())
      addrs.push_back(outbound);
    for (const auto& addr : addrs) {
      auto res = r->run(h, "nc -w 3 " + addr + " " + std::to_string(host.port()) + " </dev/null");
      if (r == denied.get()) {
        EXPECT_NE(res.status, 0) << addr << ": " << res.out;
        EXPECT_EQ(res.out, "") << addr;
        EXPECT_NE(res.err.find("refused"), std::string::npos) << addr << ": " << res.err;
      } else {
        EXPECT_EQ(res.out, "host-hi") << addr << ": " << res.err;
      }
    }
  }
  // Containers on the denied bridge still reach each other (not the host).
  denied->create("d2");
  EXPECT_EQ(denied->run("d", "ping -c 1 -W 5 " + ip_of(*denied, "d2")).status, 0);
}

TEST_F(GuardianNet, ResolvConfFromDnsServersOrTheHost) {
  auto custom = runtime(3, 0, {{"dns_servers", {"10.0.0.53", "10.0.0.54"}}});
  auto host = runtime(3, 1);
  custom->create("c");
  host->create("h");
  EXPECT_EQ(custom->run("c", "cat /etc/resolv.conf").out,
            "nameserver 10.0.0.53\nnameserver 10.0.0.54\n");
  auto from_host = host->run("h", "cat /etc/resolv.conf").out;
  EXPECT_EQ(from_host, concourse::oci::container_resolv_conf({}));
  EXPECT_EQ(from_host.find("nameserver 127."), std::string::npos) << from_host;
}

TEST_F(GuardianNet, NetInMapsHostPortsToContainerListeners) {
  auto r = runtime(4);
  r->create("srv");
  auto& rt = r->rt();
  auto first = rt.net_in(r->call(), "srv", 0, 8080);
  EXPECT_GE(first.host_port, 61001u);
  EXPECT_EQ(first.container_port, 8080u);
  auto l1 = r->start("srv", "echo from-container | nc -l -p 8080");
  ASSERT_EQ(r->run("srv", guardian_test::wait_listening_script(8080)).status, 0);
  EXPECT_EQ(guardian_test::tcp_read("127.0.0.1", static_cast<uint16_t>(first.host_port)),
            "from-container\n");
  r->finish(l1);

  // An explicit host port, the same port inside. The port is one a host listener holds (so no
  // other test takes it meanwhile): the mapping wins over it, as DNAT comes first.
  Greeter probe("127.0.0.1", 0, "not-the-container");
  uint32_t port = probe.port();
  auto second = rt.net_in(r->call(), "srv", port, 0);
  EXPECT_EQ(second.host_port, port);
  EXPECT_EQ(second.container_port, port);
  try {
    rt.net_in(r->call(), "srv", port, 9);
    ADD_FAILURE() << "mapped a host port twice";
  } catch (const concourse::sdk::Error& e) {
    EXPECT_EQ(e.code(), CC_E_EXISTS) << e.what();
  }
  // Through loopback (the probe's own address), then the host's outbound address.
  std::string outbound = concourse::guardian::outbound_interface().ipv4;
  for (const std::string& addr : {std::string("127.0.0.1"), outbound}) {
    if (addr.empty())
      continue;
    auto l = r->start("srv", "echo second | nc -l -p " + std::to_string(port));
    ASSERT_EQ(
        r->run("srv", guardian_test::wait_listening_script(static_cast<uint16_t>(port))).status, 0);
    EXPECT_EQ(guardian_test::tcp_read(addr, static_cast<uint16_t>(port)), "second\n") << addr;
    r->finish(l);
  }
  auto info = rt.info(r->call(), "srv");
  ASSERT_EQ(info.mapped_ports.size(), 2u);
  EXPECT_EQ(info.mapped_ports[1].host_port, port);
  EXPECT_EQ(probe.accepted(), 0);
}

TEST_F(GuardianNet, NetOutRulesLimitWhatLeavesTheBridge) {
  guardian_test::OutsideNet outside(5);
  Greeter allowed_port(outside.ip(), 9000, "outside-9000", outside.netns_path());
  Greeter other_port(outside.ip(), 9001, "outside-9001", outside.netns_path());
  auto r = runtime(5);
  r->create("open");  // no rules: everything but the host
  concourse::sdk::ContainerSpec spec;
  spec.handle = "tight";
  spec.net_out = {tcp_to(outside.ip(), 9000)};
  r->create(spec);
  auto reach = [&](const char* h, int port) {
    return r->run(h, "nc -w 3 " + outside.ip() + " " + std::to_string(port) + " </dev/null").out;
  };
  EXPECT_EQ(reach("open", 9000), "outside-9000");
  EXPECT_EQ(reach("open", 9001), "outside-9001");
  EXPECT_EQ(r->run("open", "ping -c 1 -W 5 " + outside.ip()).status, 0);
  EXPECT_EQ(reach("tight", 9000), "outside-9000");
  EXPECT_EQ(reach("tight", 9001), "");
  EXPECT_NE(r->run("tight", "ping -c 1 -W 1 " + outside.ip()).status, 0);
  // Containers on the bridge are not outside: the restricted one still reaches the open one.
  EXPECT_EQ(r->run("tight", "ping -c 1 -W 5 " + ip_of(*r, "open")).status, 0);

  concourse::sdk::NetOutRule icmp;
  icmp.protocol = CC_PROTO_ICMP;
  icmp.networks = {{outside.ip(), outside.ip()}};
  r->rt().net_out(r->call(), "tight", icmp);
  EXPECT_EQ(r->run("tight", "ping -c 1 -W 5 " + outside.ip()).status, 0);
  EXPECT_EQ(reach("tight", 9001), "");

  concourse::sdk::NetOutRule bad;
  bad.protocol = CC_PROTO_ICMP;
  bad.ports = {{80, 80}};
  EXPECT_THROW(r->rt().net_out(r->call(), "tight", bad), concourse::sdk::Error);

  // Concourse's allow-all rule lifts the restriction (and the container's chain goes).
  concourse::sdk::NetOutRule all;
  all.networks = {{"0.0.0.0", "255.255.255.255"}};
  std::string chain = "G-" + bridge(5, 0) + "-";
  EXPECT_NE(sh("iptables -S").find(chain), std::string::npos);
  r->rt().net_out(r->call(), "tight", all);
  EXPECT_EQ(reach("tight", 9001), "outside-9001");
  EXPECT_EQ(sh("iptables -S").find(chain), std::string::npos);
}

TEST_F(GuardianNet, DestroyLeavesNoVethNamespaceRuleOrLease) {
  std::string veth, netns, chain;
  {
    auto r = runtime(6);
    concourse::sdk::ContainerSpec spec;
    spec.handle = "gone";
    spec.net_out = {tcp_to("10.198.6.2", 80)};
    spec.net_in = {{0, 80}};
    r->create(spec);
    std::string ip = ip_of(*r, "gone");
    auto link = concourse::guardian::container_link(
        bridge(6, 0), *concourse::guardian::parse_ipv4(ip), "/run/netns");
    veth = link.veth;
    netns = link.netns;
    chain = "G-" + bridge(6, 0) + "-" +
            concourse::guardian::ipv4_hex(*concourse::guardian::parse_ipv4(ip));
    EXPECT_NE(::if_nametoindex(veth.c_str()), 0u);
    EXPECT_TRUE(fs::exists(netns));
    EXPECT_TRUE(sh_ok("iptables -S " + chain));
    EXPECT_NE(sh("iptables -t nat -S GDN-" + bridge(6, 0) + "-DNAT").find(ip + ":80"),
              std::string::npos);
    EXPECT_TRUE(fs::exists(work_.path() + "/net/" + bridge(6, 0) + "/ips/" + ip));

    r->rt().destroy(r->call(), "gone");
    r->rt().destroy(r->call(), "gone");  // idempotent
    r->forget("gone");
    EXPECT_FALSE(fs::exists(netns));  // at once; the veth and rules go in the background
    r->rt().settle_network();
    EXPECT_EQ(::if_nametoindex(veth.c_str()), 0u);
    EXPECT_FALSE(fs::exists(netns));
    EXPECT_FALSE(sh_ok("iptables -S " + chain));
    EXPECT_EQ(sh("iptables -t nat -S GDN-" + bridge(6, 0) + "-DNAT").find(ip + ":"),
              std::string::npos);
    EXPECT_TRUE(fs::is_empty(work_.path() + "/net/" + bridge(6, 0) + "/ips"));
    EXPECT_TRUE(fs::is_empty(work_.path() + "/net/" + bridge(6, 0) + "/ports"));
  }
  // The last container gone and destroy-on-exit: the bridge and its chains go too.
  EXPECT_EQ(::if_nametoindex(bridge(6, 0).c_str()), 0u);
  EXPECT_EQ(sh("iptables -S").find("GDN-" + bridge(6, 0)), std::string::npos);
  EXPECT_EQ(sh("iptables -t nat -S").find("GDN-" + bridge(6, 0)), std::string::npos);
}

TEST_F(GuardianNet, MaxContainersAndPoolExhaustionAreClearErrors) {
  auto r = runtime(7, 0, {{"max_containers", 2}});
  r->create("m1");
  r->create("m2");
  try {
    r->create("m3");
    ADD_FAILURE() << "created a third container";
  } catch (const concourse::sdk::Error& e) {
    EXPECT_EQ(e.code(), CC_E_LIMIT);
    EXPECT_NE(std::string(e.what()).find("max containers reached"), std::string::npos) << e.what();
  }
  r->rt().destroy(r->call(), "m1");
  r->forget("m1");
  r->create("m3");

  auto tiny = runtime(7, 1, {{"network_pool", "10.199.29.0/30"}, {"max_containers", 0}});
  tiny->create("t1");
  try {
    tiny->create("t2");
    ADD_FAILURE() << "a /30 pool held two containers";
  } catch (const concourse::sdk::Error& e) {
    EXPECT_EQ(e.code(), CC_E_LIMIT);
    EXPECT_NE(std::string(e.what()).find("exhausted"), std::string::npos) << e.what();
  }
  // The failed create left nothing behind: the handle is free, the depot has no bundle.
  EXPECT_THROW(tiny->rt().info(tiny->call(), "t2"), concourse::sdk::Error);
  EXPECT_FALSE(fs::exists(work_.path() + "/depot1/t2"));
}

TEST_F(GuardianNet, RestartKeepsAndRepairsNetworking) {
  auto r = runtime(8, 0, {{"destroy_on_exit", false}});
  concourse::sdk::ContainerSpec spec;
  spec.handle = "keep";
  spec.net_in = {{0, 8080}};
  r->create(spec);
  auto before = r->rt().info(r->call(), "keep");
  ASSERT_EQ(before.mapped_ports.size(), 1u);
  uint16_t port = static_cast<uint16_t>(before.mapped_ports[0].host_port);
  auto server = r->start("keep", "while true; do echo kept | nc -l -p 8080; done");
  ASSERT_EQ(r->run("keep", guardian_test::wait_listening_script(8080)).status, 0);
  EXPECT_EQ(guardian_test::tcp_read("127.0.0.1", port), "kept\n");

  // Lose kernel state a worker restart must repair: the port mapping and the veth pair.
  std::string ip = before.container_ip;
  auto link = concourse::guardian::container_link(
      bridge(8, 0), *concourse::guardian::parse_ipv4(ip), "/run/netns");
  r->restart([&] {
    EXPECT_TRUE(sh_ok("iptables -t nat -F GDN-" + bridge(8, 0) + "-DNAT"));
    EXPECT_TRUE(sh_ok("ip link del " + link.veth));
  });

  auto after = r->rt().info(r->call(), "keep");
  EXPECT_EQ(after.container_ip, ip);
  ASSERT_EQ(after.mapped_ports.size(), 1u);
  EXPECT_EQ(after.mapped_ports[0].host_port, port);
  EXPECT_EQ(guardian_test::tcp_read("127.0.0.1", port), "kept\n");
  r->create("next");  // allocation rebuilt from disk: a different address
  std::string next_ip = ip_of(*r, "next");
  EXPECT_NE(next_ip, ip);
  EXPECT_EQ(r->run("next", "ping -c 1 -W 5 " + ip).status, 0);
  Runtime::abandon(server);
  // The restarted instance owns what it found: destroy-on-exit now removes it all.
  r->restart({}, {{"destroy_on_exit", true}});
  r.reset();
  EXPECT_EQ(::if_nametoindex(bridge(8, 0).c_str()), 0u);
}
