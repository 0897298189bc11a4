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

  // <type>/ or <type>/<version>/ dirs of rootfs.tgz + resource_metadata.json to advertise.
  std::string resource_types_dir;
  // With a resource-type installer plugin loaded, the dir is watched (inotify) and each new
  // type/version is installed into a volume once its files have been quiet for settle; tick
  // retries failed installs and removes superseded, unused ones.
  std::string resource_type_installer = "bundled";  // installer plugin: "name" or "name@version"
  std::chrono::milliseconds resource_types_settle{500};
  std::chrono::milliseconds resource_types_tick{5000};
  std::string gc_strategy = "default";    // GC strategy plugin: "name" or "name@version"
  std::string gc_strategy_config = "{}";  // JSON handed to the strategy's instance_create
  std::chrono::nanoseconds sweep_interval = std::chrono::seconds(30);
  int64_t container_sweeper_max_in_flight = 5;
  int64_t volume_sweeper_max_in_flight = 3;

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

  // Registration with a web node through its TSA; off (standalone) unless a --tsa-* flag was
  // given. tsa_hosts defaults to 127.0.0.1:2222 then.
  bool tsa_enabled = false;
  std::vector<std::string> tsa_hosts;
  std::string tsa_public_key;          // authorized_keys-format file of accepted host keys
  std::string tsa_worker_private_key;  // the worker's SSH key
  std::chrono::nanoseconds connection_drain_timeout = std::chrono::hours(1);
};

}  // namespace concourse::worker
