// Everything `concourse worker` was told on its command line, after defaults and validation.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace concourse::worker {

struct WorkerConfig {
  std::string name;  // registration name; default the hostname
  std::vector<std::string> tags;
  std::string team;
  bool ephemeral = false;
  std::string work_dir;    // required; parent of volumes/, overlays/, containers/, plugins/
  std::string plugin_dir;  // where runtime/probe/gc/... plugins are scanned
  std::string runtime;     // "name" or "name@version"
  std::string runtime_config = "{}";  // JSON handed to the runtime's instance_create
  std::vector<std::string> probes;    // health probe plugins to run; empty = every loaded one

  std::string bind_ip = "127.0.0.1";  // Garden
  uint16_t bind_port = 7777;
  std::chrono::nanoseconds garden_default_grace_time{0};
  std::chrono::nanoseconds garden_request_timeout = std::chrono::minutes(5);

  std::string baggageclaim_bind_ip = "127.0.0.1";
  uint16_t baggageclaim_bind_port = 7788;
  std::string baggageclaim_driver = "detect";
  bool baggageclaim_disable_user_namespaces = false;
  std::string baggageclaim_p2p_interface_name_pattern = "eth0";
  int baggageclaim_p2p_interface_family = 4;

  std::string healthcheck_bind_ip = "0.0.0.0";
  uint16_t healthcheck_bind_port = 8888;
  std::chrono::nanoseconds healthcheck_timeout = std::chrono::seconds(5);
};

}  // namespace concourse::worker
