// `concourse worker`: flags named as Concourse names them (and their CONCOURSE_* env vars).
#include <filesystem>
#include <iostream>

#include "cli/cli_util.hpp"
#include "cli/commands.hpp"
#include "cli/containerd_flags.hpp"
#include "cli/guardian_flags.hpp"
#include "core/error.hpp"
#include "core/flags.hpp"
#include "core/log.hpp"
#include "worker/worker.hpp"

namespace concourse::cli {
namespace {

struct Parsed {
  worker::WorkerConfig config;
  std::string log_level = "info";
  std::string log_format = "text";
  bool help = false;
};

Parsed parse(int argc, char** argv) {
  Parsed p;
  auto& c = p.config;
  c.name = hostname_or("worker");
  c.plugin_dir = install_dir("plugins");
  c.resource_types_dir = install_dir("resource-types");
  c.runtime = "guardian";
  int64_t bind_port = c.bind_port, bc_port = c.baggageclaim_bind_port,
          hc_port = c.healthcheck_bind_port, family = c.baggageclaim_p2p_interface_family;
  int64_t max_containers = 250;
  core::FlagSet fs("worker");
  fs.add_bool("help", &p.help, "show this help");
  fs.add_string("name", &c.name, "the name to register the worker as");
  fs.add_list("tag", &c.tags, "a tag to set during registration (repeatable)");
  fs.add_string("team", &c.team, "the team this worker belongs to");
  fs.add_bool("ephemeral", &c.ephemeral, "delete the worker when its heartbeats stop");
  fs.add_string("work-dir", &c.work_dir, "directory for containers, volumes and plugin state");
  fs.require("work-dir");
  fs.add_string("plugin-dir", &c.plugin_dir, "directory of plugin shared objects");
  fs.add_string("resource-types", &c.resource_types_dir,
                "directory of bundled resource types (<type>/rootfs.tgz + resource_metadata.json)");
  fs.add_string("runtime", &c.runtime, "runtime plugin: NAME or NAME@VERSION");
  fs.add_string("runtime-config", &c.runtime_config, "JSON configuration for the runtime plugin");
  fs.add_int("max-containers", &max_containers,
             "most containers the runtime may hold (0 = no limit)");
  fs.add_list("healthcheck-probe", &c.probes, "health probe plugin to run (default: all loaded)");
  fs.add_string("gc-strategy", &c.gc_strategy, "GC strategy plugin: NAME or NAME@VERSION");
  fs.add_string("gc-strategy-config", &c.gc_strategy_config,
                "JSON configuration for the GC strategy plugin");
  fs.add_duration("sweep-interval", &c.sweep_interval,
                  "interval on which containers and volumes are swept");
  fs.add_int("container-sweeper-max-in-flight", &c.container_sweeper_max_in_flight,
             "most containers destroyed at once");
  fs.add_int("volume-sweeper-max-in-flight", &c.volume_sweeper_max_in_flight,
             "most volumes destroyed at once");
  fs.add_string("bind-ip", &c.bind_ip, "IP address on which to listen for the Garden server");
  fs.add_int("bind-port", &bind_port, "port on which to listen for the Garden server");
  fs.add_duration("garden-default-grace-time", &c.garden_default_grace_time,
                  "grace time of containers created without one (0 = never reap)");
  fs.add_duration("garden-request-timeout", &c.garden_request_timeout,
                  "deadline of one runtime call");
  fs.add_string("baggageclaim-bind-ip", &c.baggageclaim_bind_ip,
                "IP address on which to listen for the Baggageclaim API");
  fs.add_int("baggageclaim-bind-port", &bc_port, "port of the Baggageclaim API");
  fs.add_string("baggageclaim-driver", &c.baggageclaim_driver,
                "volume driver: detect, naive or overlay");
  fs.add_bool("baggageclaim-disable-user-namespaces", &c.baggageclaim_disable_user_namespaces,
              "do not shift ownership of unprivileged volumes");
  fs.add_string("baggageclaim-p2p-interface-name-pattern",
                &c.baggageclaim_p2p_interface_name_pattern,
                "regular expression of the interface whose address /p2p-url reports");
  fs.add_int("baggageclaim-p2p-interface-family", &family, "4 or 6");
  fs.add_string("healthcheck-bind-ip", &c.healthcheck_bind_ip, "IP address of the health endpoint");
  fs.add_int("healthcheck-bind-port", &hc_port, "port of the health endpoint");
  fs.add_duration("healthcheck-timeout", &c.healthcheck_timeout, "deadline of one health check");
  fs.add_list("tsa-host", &c.tsa_hosts,
              "TSA host:port to register with (repeatable; default 127.0.0.1:2222)");
  fs.add_string("tsa-public-key", &c.tsa_public_key,
                "authorized_keys file of the TSA host keys to accept");
  fs.add_string("tsa-worker-private-key", &c.tsa_worker_private_key,
                "private key the worker authenticates to the TSA with");
  fs.add_duration("connection-drain-timeout", &c.connection_drain_timeout,
                  "how long a cancelled registration may drain forwarded connections");
  fs.add_string("log-level", &p.log_level, "debug, info, warn, error or fatal");
  fs.add_string("log-format", &p.log_format, "text or json");
  ContainerdFlags containerd;
  add_containerd_flags(fs, containerd, argc, argv);
  GuardianFlags guardian;
  add_guardian_flags(fs, guardian);
  if (argc > 1 && (std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h")) {
    std::cout << fs.usage();
    p.help = true;
    return p;
  }
  fs.parse(argc, argv, 1);
  c.bind_port = to_port(bind_port, "bind-port");
  c.baggageclaim_bind_port = to_port(bc_port, "baggageclaim-bind-port");
  c.healthcheck_bind_port = to_port(hc_port, "healthcheck-bind-port");
  if (c.sweep_interval.count() <= 0)
    throw core::UsageError("--sweep-interval must be positive");
  if (c.container_sweeper_max_in_flight < 1)
    throw core::UsageError("--container-sweeper-max-in-flight must be >= 1");
  if (c.volume_sweeper_max_in_flight < 1)
    throw core::UsageError("--volume-sweeper-max-in-flight must be >= 1");
  if (family != 4 && family != 6) {
    throw core::UsageError("--baggageclaim-p2p-interface-family must be 4 or 6");
  }
  c.baggageclaim_p2p_interface_family = static_cast<int>(family);
  if (max_containers < 0)
    throw core::UsageError("--max-containers must be >= 0");
  if (fs.was_set("max-containers")) {
    // Merged into the runtime's config: it is the runtime that enforces the limit.
    auto pos = c.runtime_config.rfind('}');
    bool empty_obj = c.runtime_config.find_first_not_of(" {}\n\t") == std::string::npos;
    if (pos == std::string::npos)
      throw core::UsageError("--runtime-config must be a JSON object");
    c.runtime_config.insert(pos, std::string(empty_obj ? "" : ",") +
                                     "\"max_containers\":" + std::to_string(max_containers));
  }
  apply_containerd_flags(fs, containerd, c.runtime, c.runtime_config);
  apply_guardian_flags(fs, guardian, c.runtime,
                       std::filesystem::absolute(c.plugin_dir).lexically_normal().string(),
                       c.runtime_config);
  // As Concourse: any --tsa-* flag turns registration on; without, the worker is standalone.
  c.tsa_enabled = fs.was_set("tsa-host") || fs.was_set("tsa-public-key") ||
                  fs.was_set("tsa-worker-private-key");
  if (c.tsa_enabled && (c.tsa_worker_private_key.empty() || c.tsa_public_key.empty()))
    throw core::UsageError(
        "--tsa-worker-private-key and --tsa-public-key are required with --tsa-*");
  if (c.tsa_hosts.empty())
    c.tsa_hosts = {"127.0.0.1:2222"};
  c.work_dir = std::filesystem::absolute(c.work_dir).lexically_normal().string();
  c.plugin_dir = std::filesystem::absolute(c.plugin_dir).lexically_normal().string();
  return p;
}

}  // namespace

int run_worker_command(int argc, char** argv) {
  // Before any thread exists, so every thread inherits the blocked mask.
  worker::block_worker_signals();
  return run_logged_command(
      "worker", argc, argv, parse,
      [](Parsed& p, const concourse::log::Logger&) { return worker::run_worker(p.config); });
}

}  // namespace concourse::cli
