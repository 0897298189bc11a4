// guardian networking without root: net_out rules as iptables specs, the pool, leases and
// resolv.conf, and networking in a container's saved state.
#include <gtest/gtest.h>

#include <filesystem>

#include "container.hpp"
#include "firewall_rules.hpp"
#include "ip_pool.hpp"
#include "resolv_conf.hpp"
#include "support/worker_process.hpp"

using namespace concourse::guardian;
using concourse::sdk::NetOutRule;
namespace fs = std::filesystem;

TEST(GuardianNetRules, AllowAllIsRecognisedAndNeedsNoChain) {
  NetOutRule any;
  EXPECT_TRUE(allows_everything(any));
  NetOutRule concourse_rule;
  concourse_rule.networks = {{"0.0.0.0", "255.255.255.255"}};
  EXPECT_TRUE(allows_everything(concourse_rule));
  NetOutRule tcp = concourse_rule;
  tcp.protocol = CC_PROTO_TCP;
  EXPECT_FALSE(allows_everything(tcp));
  NetOutRule logged = concourse_rule;
  logged.log = true;
  EXPECT_FALSE(allows_everything(logged));
  NetOutRule some;
  some.networks = {{"10.0.0.0", "10.255.255.255"}};
  EXPECT_FALSE(allows_everything(some));
}

TEST(GuardianNetRules, RulesBecomeAcceptSpecs) {
  NetOutRule r;
  r.protocol = CC_PROTO_TCP;
  r.networks = {{"10.0.0.0", "10.0.255.255"}, {"192.0.2.7", "192.0.2.9"}};
  r.ports = {{80, 80}, {8000, 8100}};
  auto specs = accept_specs(r, "x:");
  ASSERT_EQ(specs.size(), 4u);
  EXPECT_EQ(specs[0], "-p tcp -d 10.0.0.0/16 --dport 80 -j ACCEPT");
  EXPECT_EQ(specs[1], "-p tcp -d 10.0.0.0/16 --dport 8000:8100 -j ACCEPT");
  EXPECT_EQ(specs[2], "-p tcp -m iprange --dst-range 192.0.2.7-192.0.2.9 --dport 80 -j ACCEPT");

  NetOutRule icmp;
  icmp.protocol = CC_PROTO_ICMP;
  icmp.icmp_type = 8;
  icmp.icmp_code = 0;
  icmp.networks = {{"192.0.2.1", "192.0.2.1"}};
  icmp.log = true;
  specs = accept_specs(icmp, "G-b-c0000201:");
  ASSERT_EQ(specs.size(), 2u);
  EXPECT_EQ(specs[0],
            "-p icmp -d 192.0.2.1/32 --icmp-type 8/0 -m conntrack --ctstate NEW -j LOG "
            "--log-prefix G-b-c0000201:");
  EXPECT_EQ(specs[1], "-p icmp -d 192.0.2.1/32 --icmp-type 8/0 -j ACCEPT");

  NetOutRule all;
  EXPECT_EQ(accept_specs(all, "x")[0], "-j ACCEPT");
}

TEST(GuardianNetRules, ContainerChainEndsInRejectAndDispatchIsOptional) {
  ChainNames n("br0");
  NetOutRule r;
  r.protocol = CC_PROTO_UDP;
  r.ports = {{53, 53}};
  std::string fresh = container_rules(n, 0x0a500002, {r}, true);
  EXPECT_NE(fresh.find(":G-br0-0a500002 - [0:0]\n"), std::string::npos) << fresh;
  EXPECT_NE(fresh.find("-A G-br0-0a500002 -p udp --dport 53 -j ACCEPT\n"), std::string::npos);
  EXPECT_NE(fresh.find("-A G-br0-0a500002 -j REJECT"), std::string::npos);
  EXPECT_NE(fresh.find("-A GDN-br0-OUT -s 10.80.0.2/32 -j G-br0-0a500002\n"), std::string::npos);
  EXPECT_EQ(container_rules(n, 0x0a500002, {r}, false).find("GDN-br0-OUT"), std::string::npos);
  EXPECT_EQ(dnat_spec(0x0a500002, 61001, 8080),
            "-p tcp --dport 61001 -j DNAT --to-destination 10.80.0.2:8080");
}

TEST(GuardianNetRules, BaseRulesFollowAllowHostAccess) {
  ChainNames n("cc-gdn0");
  Cidr pool = parse_cidr("10.80.0.0/16");
  std::string deny = base_rules(n, pool, false);
  EXPECT_NE(deny.find("-A GDN-cc-gdn0-IN -j REJECT"), std::string::npos);
  EXPECT_NE(deny.find("-A GDN-cc-gdn0-FWD -i cc-gdn0 -o cc-gdn0 -j ACCEPT"), std::string::npos);
  EXPECT_NE(deny.find("-s 10.80.0.0/16 ! -o cc-gdn0 -j MASQUERADE"), std::string::npos);
  std::string allow = base_rules(n, pool, true);
  EXPECT_NE(allow.find("-A GDN-cc-gdn0-IN -j ACCEPT"), std::string::npos);
  EXPECT_EQ(allow.find("-A GDN-cc-gdn0-IN -j REJECT"), std::string::npos);
}

TEST(GuardianNetRules, ContradictoryOrIpv6RulesAreRefused) {
  auto code = [](const NetOutRule& r) {
    try {
      validate_rule(r);
      return 0;
    } catch (const concourse::sdk::Error& e) {
      return static_cast<int>(e.code());
    }
  };
  NetOutRule ports_all;
  ports_all.ports = {{80, 80}};
  EXPECT_EQ(code(ports_all), CC_E_INVALID);
  NetOutRule icmp_on_tcp;
  icmp_on_tcp.protocol = CC_PROTO_TCP;
  icmp_on_tcp.icmp_type = 8;
  EXPECT_EQ(code(icmp_on_tcp), CC_E_INVALID);
  NetOutRule backwards;
  backwards.networks = {{"10.0.0.9", "10.0.0.1"}};
  EXPECT_EQ(code(backwards), CC_E_INVALID);
  NetOutRule v6;
  v6.networks = {{"::1", "::1"}};
  EXPECT_EQ(code(v6), CC_E_UNSUPPORTED);
  NetOutRule ok;
  ok.protocol = CC_PROTO_TCP;
  ok.ports = {{1, 65535}};
  EXPECT_EQ(code(ok), 0);
}

TEST(GuardianNetPool, CidrsAreParsedStrictly) {
  Cidr c = parse_cidr("10.80.0.0/16");
  EXPECT_EQ(ipv4_string(c.gateway()), "10.80.0.1");
  EXPECT_EQ(ipv4_string(c.first_container()), "10.80.0.2");
  EXPECT_EQ(ipv4_string(c.last_container()), "10.80.255.254");
  for (const char* bad : {"10.80.0.1/16", "10.80.0.0", "10.80.0.0/31", "nope/8", "10.0.0.0/x"})
    EXPECT_THROW(parse_cidr(bad), concourse::sdk::Error) << bad;
}

TEST(GuardianNetPool, LeasesAreExclusiveSharedAndReclaimable) {
  concourse::testing::TempDir dir;
  std::string owner = dir.path() + "/bundle-a";
  fs::create_directories(owner);
  Leases a(dir.path() + "/leases"), b(dir.path() + "/leases");  // two instances, one bridge
  Cidr pool = parse_cidr("10.9.0.0/29");                        // .2 to .6
  uint32_t ca = 0, cb = 0;
  auto first = a.take_ip(pool, owner, ca);
  auto second = b.take_ip(pool, owner, cb);
  ASSERT_TRUE(first && second);
  EXPECT_NE(*first, *second);
  EXPECT_TRUE(a.claim_ip(*first, owner));
  EXPECT_FALSE(a.claim_ip(*first, dir.path() + "/someone-else"));
  for (int i = 0; i < 3; ++i)
    EXPECT_TRUE(a.take_ip(pool, owner, ca));
  EXPECT_FALSE(a.take_ip(pool, owner, ca));             // five addresses, all leased
  a.release_ip(*second, dir.path() + "/someone-else");  // not theirs: stays
  EXPECT_FALSE(b.claim_ip(*second, dir.path() + "/someone-else"));
  a.release_ip(*second, owner);
  EXPECT_EQ(b.take_ip(pool, owner, cb), second);

  EXPECT_TRUE(a.take_port(61001, owner, "10.9.0.2"));
  EXPECT_FALSE(b.take_port(61001, owner, "10.9.0.3"));
  auto any = a.take_any_port(61001, 10, owner, "10.9.0.2");
  ASSERT_TRUE(any);
  EXPECT_NE(*any, 61001u);
  size_t listed = a.list().size();
  EXPECT_EQ(listed, 7u);
  for (const auto& l : a.list())
    EXPECT_FALSE(Leases::stale(l));
  fs::remove_all(owner);
  for (const auto& l : a.list())
    EXPECT_TRUE(Leases::stale(l)) << l.key;
}

TEST(GuardianResolvConf, DnsServersWinAndLoopbackNameserversGo) {
  std::string host =
      "# generated\nsearch example.org\nnameserver 127.0.0.53\nnameserver "
      "192.0.2.53\noptions ndots:2\n";
  EXPECT_EQ(concourse::oci::make_resolv_conf(host, {}),
            "# generated\nsearch example.org\nnameserver 192.0.2.53\noptions ndots:2\n");
  EXPECT_EQ(concourse::oci::make_resolv_conf(host, {"10.0.0.53", "10.0.0.54"}),
            "nameserver 10.0.0.53\nnameserver 10.0.0.54\n");
}

TEST(GuardianNetState, NetworkingSurvivesSaveAndLoad) {
  concourse::testing::TempDir depot;
  Container c;
  c.handle = "h";
  c.bundle = depot.path() + "/h";
  fs::create_directories(c.bundle);
  c.net.ip = *parse_ipv4("10.80.0.9");
  c.net.ports = {{61001, 8080}, {61002, 61002}};
  NetOutRule r;
  r.protocol = CC_PROTO_TCP;
  r.networks = {{"10.0.0.1", "10.0.0.9"}};
  r.ports = {{443, 443}};
  r.log = true;
  NetOutRule icmp;
  icmp.protocol = CC_PROTO_ICMP;
  icmp.icmp_type = 8;
  c.net.rules = {r, icmp};
  c.net.restricted = true;
  save_container(c);
  auto loaded = load_containers(depot.path());
  ASSERT_EQ(loaded.size(), 1u);
  const ContainerNet& n = loaded[0].net;
  EXPECT_EQ(ipv4_string(n.ip), "10.80.0.9");
  ASSERT_EQ(n.ports.size(), 2u);
  EXPECT_EQ(n.ports[1].host_port, 61002u);
  EXPECT_EQ(n.ports[0].container_port, 8080u);
  ASSERT_EQ(n.rules.size(), 2u);
  EXPECT_EQ(n.rules[0].networks, r.networks);
  EXPECT_EQ(n.rules[0].ports, r.ports);
  EXPECT_TRUE(n.rules[0].log);
  EXPECT_EQ(n.rules[1].icmp_type, 8);
  EXPECT_EQ(n.rules[1].icmp_code, -1);
  EXPECT_TRUE(n.restricted);
}
