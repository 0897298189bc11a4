#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "worker/garden/garden_error.hpp"
#include "worker/garden/wire.hpp"

namespace concourse::worker::garden {
namespace {

using nlohmann::json;

std::string s(cc_str v) {
  return std::string(v.ptr, v.len);
}

int status_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const GardenError& e) {
    return e.http_status();
  }
  return 0;
}

TEST(Wire, DecodesAFullContainerSpec) {
  auto spec = decode_container_spec(json::parse(R"({
    "handle": "h1", "grace_time": 300000000000, "rootfs": "raw:///rootfs",
    "image": {"uri": "docker:///busybox", "username": "u", "password": "p"},
    "bind_mounts": [{"src_path": "/a", "dst_path": "/b", "mode": 1, "origin": 0},
                    {"src_path": "/c", "dst_path": "/d"}],
    "network": "10.0.0.0/24", "properties": {"team": "main"}, "env": ["A=1", "B=2"],
    "privileged": true,
    "limits": {"memory_limits": {"limit_in_bytes": 1024}, "cpu_limits": {"weight": 5},
               "disk_limits": {"byte_hard": 9, "scope": 1}, "pid_limits": {"max": 7},
               "bandwidth_limits": {"rate": 3, "burst": 4}},
    "netout_rules": [{"protocol": 1, "networks": [{"start": "10.0.0.1", "end": "10.0.0.9"}],
                      "ports": [{"start": 80, "end": 443}], "icmps": {"type": 8}, "log": true}],
    "netin": [{"host_port": 8080, "container_port": 80}],
    "unknown_field": "ignored"})"));
  const cc_container_spec& c = spec->spec();
  EXPECT_EQ(c.struct_size, sizeof(cc_container_spec));
  EXPECT_EQ(s(c.handle), "h1");
  EXPECT_EQ(c.grace_time_ns, 300000000000);
  EXPECT_EQ(s(c.rootfs), "raw:///rootfs");
  EXPECT_EQ(s(c.image_uri), "docker:///busybox");
  EXPECT_EQ(s(c.image_password), "p");
  ASSERT_EQ(c.bind_mount_count, 2u);
  EXPECT_EQ(s(c.bind_mounts[0]->src_path), "/a");
  EXPECT_EQ(c.bind_mounts[0]->mode, static_cast<uint32_t>(CC_BIND_RW));
  EXPECT_EQ(s(c.bind_mounts[1]->dst_path), "/d");
  EXPECT_EQ(c.bind_mounts[1]->mode, static_cast<uint32_t>(CC_BIND_RO));
  EXPECT_EQ(s(c.network), "10.0.0.0/24");
  ASSERT_EQ(c.property_count, 1u);
  EXPECT_EQ(s(c.properties[0].key), "team");
  ASSERT_EQ(c.env_count, 2u);
  EXPECT_EQ(s(c.env[1]), "B=2");
  EXPECT_EQ(c.privileged, 1u);
  ASSERT_NE(c.limits, nullptr);
  EXPECT_EQ(c.limits->memory_limit_in_bytes, 1024u);
  EXPECT_EQ(c.limits->cpu_weight, 5u);
  EXPECT_EQ(c.limits->disk_byte_hard, 9u);
  EXPECT_EQ(c.limits->disk_scope, 1u);
  EXPECT_EQ(c.limits->pid_max, 7u);
  EXPECT_EQ(c.limits->bandwidth_burst, 4u);
  ASSERT_EQ(c.net_out_count, 1u);
  const cc_net_out_rule& r = *c.net_out[0];
  EXPECT_EQ(r.protocol, static_cast<uint32_t>(CC_PROTO_TCP));
  ASSERT_EQ(r.network_count, 1u);
  EXPECT_EQ(s(r.networks[0].end), "10.0.0.9");
  ASSERT_EQ(r.port_count, 1u);
  EXPECT_EQ(r.ports[0].end, 443u);
  EXPECT_EQ(r.icmp_type, 8);
  EXPECT_EQ(r.icmp_code, -1);
  EXPECT_EQ(r.log, 1u);
  ASSERT_EQ(c.net_in_count, 1u);
  EXPECT_EQ(c.net_in[0].container_port, 80u);
}

TEST(Wire, NullMeansAbsentLikeGo) {
  auto spec = decode_container_spec(json::parse(R"({"handle":null,"env":null,"limits":null})"));
  EXPECT_EQ(spec->spec().handle.len, 0u);
  EXPECT_EQ(spec->spec().env_count, 0u);
  EXPECT_EQ(spec->spec().limits, nullptr);
}

TEST(Wire, WrongShapesAre400sNamingTheField) {
  for (const char* bad :
       {R"([])", R"({"handle":5})", R"({"env":"A=1"})", R"({"env":[1]})", R"({"grace_time":"1s"})",
        R"({"grace_time":-1})", R"({"grace_time":1.5})", R"({"properties":{"a":1}})",
        R"({"bind_mounts":[{"mode":2}]})", R"({"handle":"a/b"})", R"({"handle":".."})",
        R"({"netout_rules":[{"protocol":9}]})",
        R"({"netout_rules":[{"networks":[{"start":"nope"}]}]})", R"({"netin":[{"host_port":-1}]})",
        R"({"privileged":"yes"})"}) {
    EXPECT_EQ(status_of([&] { decode_container_spec(json::parse(bad)); }), 400) << bad;
  }
  try {
    decode_container_spec(json::parse(R"({"env":"A=1"})"));
  } catch (const GardenError& e) {
    EXPECT_NE(std::string(e.what()).find("\"env\""), std::string::npos) << e.what();
  }
}

TEST(Wire, DecodesAProcessSpec) {
  auto p = decode_process_spec(json::parse(R"({
    "id": "task", "path": "/bin/sh", "args": ["-c", "echo"], "env": ["X=1"], "dir": "/tmp",
    "user": "root", "rlimits": {"nofile": 1024, "core": 0},
    "limits": {"memory_limits": {"limit_in_bytes": 99}},
    "tty": {"window_size": {"columns": 500, "rows": 400}}})"));
  const cc_process_spec& c = p->spec();
  EXPECT_EQ(p->id(), "task");
  EXPECT_EQ(s(c.path), "/bin/sh");
  ASSERT_EQ(c.arg_count, 2u);
  EXPECT_EQ(s(c.args[1]), "echo");
  EXPECT_EQ(s(c.dir), "/tmp");
  ASSERT_NE(c.rlimits, nullptr);
  EXPECT_EQ(c.rlimits->set_mask, (1u << CC_RLIMIT_NOFILE) | (1u << CC_RLIMIT_CORE));
  EXPECT_EQ(c.rlimits->value[CC_RLIMIT_NOFILE], 1024u);
  ASSERT_NE(c.limits, nullptr);
  EXPECT_EQ(c.limits->memory_limit_in_bytes, 99u);
  ASSERT_TRUE(p->tty());
  EXPECT_EQ(c.tty->columns, 500u);
  EXPECT_EQ(c.tty->rows, 400u);
  EXPECT_FALSE(p->wants_process_image());

  EXPECT_EQ(status_of([] { decode_process_spec(json::parse(R"({"path":""})")); }), 400);
  EXPECT_EQ(status_of([] { decode_process_spec(json::parse(R"({"path":"x","args":"a"})")); }), 400);
  EXPECT_EQ(
      status_of([] {
        decode_process_spec(json::parse(R"({"path":"x","tty":{"window_size":{"rows":70000}}})"));
      }),
      400);
  EXPECT_TRUE(decode_process_spec(json::parse(R"({"path":"x","image":{"uri":"docker:///a"}})"))
                  ->wants_process_image());
}

TEST(Wire, DecodesProcessFrames) {
  auto f = decode_process_frame(json::parse(R"({"process_id":"p","source":0,"data":"hi"})"));
  EXPECT_EQ(f.kind, ProcessFrame::Kind::Stdin);
  EXPECT_EQ(f.data, "hi");
  EXPECT_EQ(decode_process_frame(json::parse(R"({"process_id":"p","source":0})")).kind,
            ProcessFrame::Kind::StdinEof);
  auto sig = decode_process_frame(json::parse(R"({"process_id":"p","signal":1})"));
  EXPECT_EQ(sig.kind, ProcessFrame::Kind::Signal);
  EXPECT_EQ(sig.signal, 1);
  auto tty = decode_process_frame(
      json::parse(R"({"process_id":"p","tty":{"window_size":{"columns":80,"rows":24}}})"));
  EXPECT_EQ(tty.kind, ProcessFrame::Kind::Resize);
  EXPECT_EQ(tty.size.columns, 80u);
  EXPECT_EQ(decode_process_frame(json::parse(R"({"process_id":"p"})")).kind,
            ProcessFrame::Kind::Unknown);
  EXPECT_EQ(status_of([] { decode_process_frame(json::parse(R"({"source":0,"data":5})")); }), 400);
}

TEST(Wire, SmallBodies) {
  EXPECT_TRUE(decode_stop_request(json::parse(R"({"kill":true})")));
  EXPECT_FALSE(decode_stop_request(json::parse(R"({})")));
  EXPECT_EQ(decode_grace_time(json::parse("300000000000")), 300000000000);
  EXPECT_EQ(status_of([] { decode_grace_time(json::parse(R"("5m")")); }), 400);
  EXPECT_EQ(decode_property_value(json::parse(R"({"value":"v"})")), "v");
  EXPECT_EQ(
      decode_net_in_request(json::parse(R"({"handle":"h","host_port":1,"container_port":2})")),
      std::make_pair(1u, 2u));
}

TEST(Wire, EncodesWithGardensFieldNames) {
  ContainerInfoData info;
  info.state = "active";
  info.properties["a"] = "b";
  info.mapped_ports.emplace_back(1, 2);
  auto j = info_json(info);
  std::vector<std::string> keys;
  for (const auto& [k, v] : j.items())
    keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"State", "Events", "HostIP", "ContainerIP",
                                            "ContainerIPv6", "ExternalIP", "ContainerPath",
                                            "ProcessIDs", "Properties", "MappedPorts"}));
  EXPECT_EQ(j["MappedPorts"][0]["HostPort"], 1);
  EXPECT_EQ(j["Properties"]["a"], "b");

  cc_container_metrics m{};
  m.memory_usage_bytes = 10;
  m.cpu_user_ns = 3;
  m.age_ns = 42;
  auto mj = metrics_json(m);
  EXPECT_EQ(mj["MemoryStat"]["TotalUsageTowardLimit"], 10);
  EXPECT_TRUE(mj["MemoryStat"].contains("total_rss"));
  EXPECT_EQ(mj["CPUStat"]["User"], 3);
  EXPECT_EQ(mj["Age"], 42);
  EXPECT_TRUE(mj["DiskStat"].contains("ExclusiveBytesUsed"));
  EXPECT_TRUE(mj["PidStat"].contains("Max"));

  cc_limits l{};
  l.memory_limit_in_bytes = 7;
  EXPECT_EQ(limits_json(LimitKind::Memory, l).dump(), R"({"limit_in_bytes":7})");
  EXPECT_EQ(limits_json(LimitKind::Bandwidth, l).dump(), R"({"rate":0,"burst":0})");

  cc_capacity c{};
  c.max_containers = 250;
  EXPECT_EQ(capacity_json(c)["max_containers"], 250);
  EXPECT_EQ(to_body(nlohmann::ordered_json::object()), "{}\n");
}

TEST(Wire, ErrorBodiesAreGardens) {
  auto body = json::parse(container_not_found("h1").body());
  EXPECT_EQ(body["Type"], "ContainerNotFoundError");
  EXPECT_EQ(body["Message"], "unknown handle: h1");
  EXPECT_EQ(body["Handle"], "h1");
  EXPECT_EQ(container_not_found("h1").http_status(), 404);
  auto p = json::parse(process_not_found("p").body());
  EXPECT_EQ(p["Type"], "ProcessNotFoundError");
  EXPECT_EQ(p["ProcessID"], "p");
  EXPECT_EQ(unsupported("net in", "fake@1").what(),
            std::string("net in is not supported by runtime fake@1"));
}

}  // namespace
}  // namespace concourse::worker::garden
