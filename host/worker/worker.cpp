#include "worker/worker.hpp"

#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <map>

#include "core/error.hpp"
#include "core/plugin/registry.hpp"
#include "worker/baggageclaim/server.hpp"
#include "worker/beacon/beacon.hpp"
#include "worker/beacon/lifecycle.hpp"
#include "worker/garden/server.hpp"
#include "worker/gc/sweeper.hpp"
#include "worker/health_server.hpp"
#include "worker/local_worker_api.hpp"
#include "worker/resource_type_installs.hpp"
#include "worker/resource_type_watcher.hpp"
#include "worker/resource_types.hpp"

namespace concourse::worker {

namespace plugin = concourse::core::plugin;
using Clock = std::chrono::steady_clock;

struct Worker::State {
  LocalWorkerApi worker_api;
  std::atomic<garden::Server*> garden_ptr{nullptr};
  std::unique_ptr<plugin::Registry> registry;
  std::unique_ptr<plugin::Instance> runtime;
  std::unique_ptr<garden::Server> garden;
  std::unique_ptr<baggageclaim::Server> baggageclaim;
  std::vector<std::unique_ptr<plugin::Instance>> probes;
  std::shared_ptr<ProbeRunner> probe_runner;
  std::unique_ptr<HealthServer> health;
  std::unique_ptr<beacon::Beacon> beacon;
  std::unique_ptr<plugin::Instance> gc_strategy;
  std::unique_ptr<gc::Sweeper> sweeper;
  std::unique_ptr<plugin::Instance> installer;
  std::unique_ptr<ResourceTypeInstalls> installs;
  std::unique_ptr<ResourceTypeWatcher> watcher;
  std::atomic<beacon::Beacon*> beacon_ptr{nullptr};
  bool started = false;
};

namespace {

std::string names_of(const std::vector<std::shared_ptr<plugin::LoadedModule>>& mods,
                     uint32_t kind) {
  std::string out;
  for (const auto& m : mods) {
    if (m->kind() != kind)
      continue;
    if (!out.empty())
      out += ", ";
    out += m->name() + "@" + m->version();
  }
  return out.empty() ? "none" : out;
}

// The newest version of each probe name, or exactly the ones the operator asked for.
std::vector<std::shared_ptr<plugin::LoadedModule>> select_probes(
    const plugin::Registry& registry, const std::vector<std::string>& wanted) {
  std::vector<std::shared_ptr<plugin::LoadedModule>> out;
  if (!wanted.empty()) {
    for (const auto& spec : wanted) {
      auto m = registry.find(CC_KIND_HEALTH_PROBE, spec);
      if (!m) {
        throw core::Error(CC_E_NOT_FOUND, "health probe plugin '" + spec + "' not found; loaded: " +
                                              names_of(registry.list(), CC_KIND_HEALTH_PROBE));
      }
      out.push_back(m);
    }
    return out;
  }
  std::map<std::string, bool> seen;
  for (const auto& m : registry.list()) {
    if (m->kind() != CC_KIND_HEALTH_PROBE || seen[m->name()])
      continue;
    seen[m->name()] = true;
    out.push_back(registry.find(CC_KIND_HEALTH_PROBE, m->name()));
  }
  return out;
}

// The address the beacon dials for the TSA's forwarded connections: a wildcard bind is
// reached on loopback.
std::string local_host(const std::string& ip) {
  return ip == "0.0.0.0" ? std::string("127.0.0.1") : ip;
}

std::string local_addr(const std::string& ip, uint16_t port) {
  return local_host(ip) + ":" + std::to_string(port);
}

std::unique_ptr<beacon::Beacon> make_beacon(const WorkerConfig& c, uint16_t garden_port,
                                            uint16_t bc_port, const concourse::log::Logger& log,
                                            const ResourceTypeInstalls* installs) {
  beacon::BeaconOptions o;
  o.tsa_hosts = c.tsa_hosts.empty() ? std::vector<std::string>{"127.0.0.1:2222"} : c.tsa_hosts;
  o.tsa_public_key = c.tsa_public_key;
  o.worker_private_key = c.tsa_worker_private_key;
  o.garden_addr = local_addr(c.bind_ip, garden_port);
  o.baggageclaim_addr = local_addr(c.baggageclaim_bind_ip, bc_port);
  o.drain_timeout = c.connection_drain_timeout;
  beacon::WorkerInfo info;
  info.name = c.name;
  info.tags = c.tags;
  info.team = c.team;
  info.ephemeral = c.ephemeral;
  beacon::ResourceTypesProvider provider;
  if (installs != nullptr) {
    provider = [installs] { return installs->advertised(); };
  } else {
    // No installer plugin: scanned at every registration, images are the rootfs.tgz paths.
    provider = [dir = c.resource_types_dir, log] { return scan_resource_types(dir, log); };
  }
  return std::make_unique<beacon::Beacon>(std::move(o), std::move(info), std::move(provider),
                                          concourse::log::Logger("beacon"));
}

}  // namespace

Worker::Worker(WorkerConfig config)
    : config_(std::move(config)),
      log_(concourse::log::Logger("worker").child({{"worker", config_.name}})),
      state_(std::make_unique<State>()) {}

Worker::~Worker() {
  stop();
}

void Worker::start() {
  auto t0 = Clock::now();
  namespace fs = std::filesystem;
  fs::create_directories(config_.work_dir);
  fs::create_directories(fs::path(config_.work_dir) / "volumes");
  fs::create_directories(fs::path(config_.work_dir) / "overlays");
  load_plugins();
  std::string runtime_name = start_servers();
  start_health();
  start_resource_types();
  if (config_.tsa_enabled)
    start_registration();
  state_->started = true;

  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
  log_.info(
      "worker-ready",
      {{"garden", config_.bind_ip + ":" + std::to_string(state_->garden->port())},
       {"baggageclaim",
        config_.baggageclaim_bind_ip + ":" + std::to_string(state_->baggageclaim->port())},
       {"healthcheck", config_.healthcheck_bind_ip + ":" + std::to_string(state_->health->port())},
       {"runtime", runtime_name},
       {"duration_ms", std::to_string(ms)}});
}

void Worker::load_plugins() {
  namespace fs = std::filesystem;
  plugin::RegistryOptions ropts;
  ropts.cache_dir = (fs::path(config_.work_dir) / "plugins" / ".cache").string();
  ropts.worker = state_->worker_api.api();
  ropts.verify_exe = fs::read_symlink("/proc/self/exe").string();
  State* st = state_.get();
  ropts.on_process_exit = [st](uint64_t token, int32_t status, std::string_view error) {
    if (auto* g = st->garden_ptr.load())
      g->on_process_exit(token, status, error);
  };
  state_->registry = std::make_unique<plugin::Registry>(std::move(ropts));
  if (!fs::is_directory(config_.plugin_dir)) {
    throw core::Error(CC_E_NOT_FOUND, "plugin dir " + config_.plugin_dir + " does not exist");
  }
  auto scan = state_->registry->scan(config_.plugin_dir);
  log_.info("plugins-loaded", {{"plugin_dir", config_.plugin_dir},
                               {"loaded", std::to_string(scan.loaded.size())},
                               {"refused", std::to_string(scan.refused.size())}});
}

std::string Worker::start_servers() {
  namespace fs = std::filesystem;
  auto runtime = state_->registry->find(CC_KIND_RUNTIME, config_.runtime);
  if (!runtime) {
    throw core::Error(CC_E_NOT_FOUND, "runtime '" + config_.runtime + "' not found in " +
                                          config_.plugin_dir + "; available runtimes: " +
                                          names_of(state_->registry->list(), CC_KIND_RUNTIME));
  }
  state_->runtime = plugin::Instance::create(runtime, config_.runtime_config, config_.work_dir);
  std::string runtime_name = runtime->name() + "@" + runtime->version();
  log_.info("runtime-selected", {{"runtime", runtime_name}});

  garden::ServerOptions gopts;
  gopts.bind_ip = config_.bind_ip;
  gopts.bind_port = config_.bind_port;
  gopts.default_grace_time = config_.garden_default_grace_time;
  gopts.request_timeout = config_.garden_request_timeout;
  garden::RuntimeBinding binding{state_->runtime->vtable<cc_runtime_vtable>(),
                                 state_->runtime->get(), runtime->capabilities(), runtime_name};
  state_->garden =
      std::make_unique<garden::Server>(gopts, binding, concourse::log::Logger("garden"));
  state_->garden_ptr = state_->garden.get();
  state_->garden->start();

  baggageclaim::Options bopts;
  bopts.bind_ip = config_.baggageclaim_bind_ip;
  bopts.bind_port = config_.baggageclaim_bind_port;
  bopts.volumes_dir = (fs::path(config_.work_dir) / "volumes").string();
  bopts.overlays_dir = (fs::path(config_.work_dir) / "overlays").string();
  bopts.driver = config_.baggageclaim_driver;
  bopts.disable_user_namespaces = config_.baggageclaim_disable_user_namespaces;
  bopts.p2p_interface_name_pattern = config_.baggageclaim_p2p_interface_name_pattern;
  bopts.p2p_interface_family = config_.baggageclaim_p2p_interface_family;
  state_->baggageclaim =
      std::make_unique<baggageclaim::Server>(bopts, concourse::log::Logger("baggageclaim"));
  state_->baggageclaim->start();

  state_->worker_api.set_endpoints(config_.bind_ip, state_->garden->port(),
                                   config_.baggageclaim_bind_ip, state_->baggageclaim->port());
  return runtime_name;
}

void Worker::start_health() {
  std::vector<ProbeBinding> bindings;
  for (const auto& m : select_probes(*state_->registry, config_.probes)) {
    auto inst = plugin::Instance::create(m, "{}", config_.work_dir);
    bindings.push_back(
        {inst->vtable<cc_probe_vtable>(), inst->get(), m->name() + "@" + m->version()});
    state_->probes.push_back(std::move(inst));
  }
  if (bindings.empty())
    log_.warn("no-health-probes", {{"plugin_dir", config_.plugin_dir}});
  state_->probe_runner = std::make_shared<ProbeRunner>(
      std::move(bindings), config_.healthcheck_timeout, concourse::log::Logger("healthcheck"));
  state_->health =
      std::make_unique<HealthServer>(config_.healthcheck_bind_ip, config_.healthcheck_bind_port,
                                     state_->probe_runner, concourse::log::Logger("healthcheck"));
  state_->health->start();
}

// The beacon and the GC sweepers exist only with a TSA: a standalone worker has nobody to
// report to and must never delete on its own.
void Worker::start_registration() {
  auto gc_mod = state_->registry->find(CC_KIND_GC_STRATEGY, config_.gc_strategy);
  if (!gc_mod) {
    throw core::Error(CC_E_NOT_FOUND, "gc strategy '" + config_.gc_strategy + "' not found in " +
                                          config_.plugin_dir + "; loaded: " +
                                          names_of(state_->registry->list(), CC_KIND_GC_STRATEGY));
  }
  state_->gc_strategy =
      plugin::Instance::create(gc_mod, config_.gc_strategy_config, config_.work_dir);
  state_->beacon = make_beacon(config_, state_->garden->port(), state_->baggageclaim->port(), log_,
                               state_->installs.get());
  state_->beacon_ptr = state_->beacon.get();
  state_->beacon->start();

  gc::SweeperOptions so;
  so.interval = config_.sweep_interval;
  so.container_max_in_flight = static_cast<size_t>(config_.container_sweeper_max_in_flight);
  so.volume_max_in_flight = static_cast<size_t>(config_.volume_sweeper_max_in_flight);
  so.volumes_dir = (std::filesystem::path(config_.work_dir) / "volumes").string();
  so.worker_json = [b = state_->beacon.get()] { return b->worker_json(); };
  gc::LocalEndpoints ep;
  ep.garden_host = local_host(config_.bind_ip);
  ep.garden_port = state_->garden->port();
  ep.baggageclaim_host = local_host(config_.baggageclaim_bind_ip);
  ep.baggageclaim_port = state_->baggageclaim->port();
  state_->sweeper = std::make_unique<gc::Sweeper>(
      std::move(so), *state_->beacon, ep,
      gc::GcStrategyBinding{state_->gc_strategy->vtable<cc_gc_vtable>(), state_->gc_strategy->get(),
                            gc_mod->id()},
      concourse::log::Logger("gc"));
  state_->sweeper->start();
  log_.info("gc-strategy-selected", {{"gc_strategy", gc_mod->id()}});
}

// With an installer plugin the resource types become volumes: installed once before the first
// registration, then again whenever the directory changes, and the beacon re-registers when what
// it advertises changed.
void Worker::start_resource_types() {
  if (config_.resource_types_dir.empty())
    return;
  auto mod =
      state_->registry->find(CC_KIND_RESOURCE_TYPE_INSTALLER, config_.resource_type_installer);
  if (!mod) {
    log_.info("no-resource-type-installer",
              {{"installer", config_.resource_type_installer},
               {"note", "advertising rootfs.tgz paths, scanned at each registration"}});
    return;
  }
  if (!std::filesystem::is_directory(config_.resource_types_dir)) {
    log_.warn("resource-types-dir-missing", {{"dir", config_.resource_types_dir}});
    return;
  }
  state_->installer = plugin::Instance::create(mod, "{}", config_.work_dir);
  auto volumes_dir = (std::filesystem::path(config_.work_dir) / "volumes").string();
  state_->installs = std::make_unique<ResourceTypeInstalls>(
      config_.resource_types_dir,
      InstallerBinding{state_->installer->vtable<cc_installer_vtable>(), state_->installer->get(),
                       mod->id()},
      state_->baggageclaim->store(), volumes_dir, config_.resource_types_settle,
      concourse::log::Logger("resource-types"));
  state_->installs->sync(true);
  State* st = state_.get();
  state_->watcher = std::make_unique<ResourceTypeWatcher>(
      config_.resource_types_dir, config_.resource_types_settle, config_.resource_types_tick,
      [st](bool changed) {
        auto r = st->installs->sync(changed);
        if (r.advertised_changed) {
          if (auto* b = st->beacon_ptr.load())
            b->refresh();
        }
      },
      concourse::log::Logger("resource-types"));
  state_->watcher->start();
  log_.info("resource-type-installer-selected",
            {{"installer", mod->id()}, {"dir", config_.resource_types_dir}});
}

nlohmann::json Worker::advertised_resource_types() const {
  if (state_->installs)
    return state_->installs->advertised();
  return scan_resource_types(config_.resource_types_dir, log_);
}

void Worker::stop() {
  if (!state_)
    return;
  // Order matters: stop installing, stop deleting, leave the TSA, stop taking requests, then
  // release plugin instances, then modules.
  if (state_->watcher)
    state_->watcher->stop();
  state_->watcher.reset();
  if (state_->sweeper)
    state_->sweeper->stop();
  state_->sweeper.reset();
  state_->beacon_ptr = nullptr;
  if (state_->beacon)
    state_->beacon->stop();
  state_->beacon.reset();
  if (state_->health)
    state_->health->stop();
  state_->health.reset();
  state_->probe_runner.reset();
  state_->probes.clear();
  if (state_->garden)
    state_->garden->stop();
  if (state_->baggageclaim)
    state_->baggageclaim->stop();
  state_->garden_ptr = nullptr;
  state_->garden.reset();
  state_->baggageclaim.reset();
  state_->gc_strategy.reset();
  state_->installs.reset();
  state_->installer.reset();
  state_->runtime.reset();
  state_->registry.reset();
  if (state_->started)
    log_.info("worker-stopped");
  state_->started = false;
}

uint16_t Worker::garden_port() const {
  return state_->garden ? state_->garden->port() : 0;
}
uint16_t Worker::baggageclaim_port() const {
  return state_->baggageclaim ? state_->baggageclaim->port() : 0;
}
uint16_t Worker::health_port() const {
  return state_->health ? state_->health->port() : 0;
}
TsaCommands* Worker::tsa_commands() const {
  return state_->beacon.get();
}
beacon::Beacon* Worker::tsa_beacon() const {
  return state_->beacon.get();
}

void block_worker_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGINT, SIGTERM, SIGUSR1, SIGUSR2})
    sigaddset(&set, s);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  // A client that hangs up mid-stream must not kill the worker.
  std::signal(SIGPIPE, SIG_IGN);
}

int run_worker(const WorkerConfig& config) {
  concourse::log::Logger log("worker");
  Worker worker(config);
  worker.start();
  if (auto* b = worker.tsa_beacon()) {
    beacon::LifecycleOptions lo;
    lo.garden_url = "http://" + local_addr(config.bind_ip, worker.garden_port());
    lo.baggageclaim_url =
        "http://" + local_addr(config.baggageclaim_bind_ip, worker.baggageclaim_port());
    int code = beacon::run_lifecycle(*b, lo, log);
    worker.stop();
    return code;
  }
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGINT, SIGTERM, SIGUSR1, SIGUSR2})
    sigaddset(&set, s);
  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0)
      continue;
    if (sig == SIGUSR1 || sig == SIGUSR2) {
      // Without a TSA there is no ATC to drain builds from: landing and retiring both end
      // this process and keep containers and volumes for a restart in place.
      log.info(sig == SIGUSR1 ? "landing" : "retiring",
               {{"note", "no --tsa-host: exiting, containers and volumes kept"}});
    } else {
      log.info("signal-received", {{"signal", sig == SIGINT ? "SIGINT" : "SIGTERM"}});
    }
    break;
  }
  worker.stop();
  return 0;
}

}  // namespace concourse::worker
