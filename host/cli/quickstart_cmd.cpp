// `concourse quickstart`: a web node and a worker in one process, for one machine. Without
// --postgres-* flags it runs its own PostgreSQL cluster under the work dir; it makes the SSH keys
// the TSA and the worker need on first start, and the worker registers through the TSA exactly as
// a remote one would (so what works here works in a cluster).
#include <signal.h>

#include <csignal>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>

#include "atc/db/embedded_postgres.hpp"
#include "atc/db/flags.hpp"
#include "atc/web_node.hpp"
#include "cli/cli_util.hpp"
#include "cli/commands.hpp"
#include "core/flags.hpp"
#include "core/log.hpp"
#include "tsa/keys.hpp"
#include "worker/worker.hpp"

namespace concourse::cli {
namespace {
namespace fs = std::filesystem;

struct QuickstartParsed {
  atc::WebNodeOptions web;
  worker::WorkerConfig worker;
  atc::db::PostgresFlags pg;
  bool embed_postgres = true;
  std::string log_level = "info";
  std::string log_format = "text";
  bool help = false;
};

// Everything listens on loopback: a quickstart is for this machine only.
void add_web_flags(core::FlagSet& fs, QuickstartParsed& p, std::vector<std::string>& users,
                   int64_t& port, int64_t& tsa_port) {
  auto& o = p.web;
  fs.add_string("bind-ip", &o.api.bind_ip, "IP address on which to listen for web traffic");
  fs.add_int("bind-port", &port, "port on which to listen for HTTP traffic");
  fs.add_string("external-url", &o.api.external_url, "URL used to reach the web node");
  fs.add_list("add-local-user", &users,
              "USERNAME:PASSWORD of a local user (repeatable; default test:test)");
  fs.add_list("main-team-local-user", &o.main_team_users,
              "local user allowed into the main team (default: the first local user)");
  fs.add_duration("gc-interval", &o.gc_interval, "interval on which to collect workers");
  fs.add_int("tsa-bind-port", &tsa_port, "port of the TSA (SSH) on loopback");
  fs.add_duration("tsa-heartbeat-interval", &o.tsa.heartbeat_interval,
                  "interval on which to heartbeat the worker to the ATC");
  atc::engine::add_placement_flags(fs, o.placement);
  atc::db::add_postgres_flags(fs, p.pg);
}

void add_worker_flags(core::FlagSet& fs, worker::WorkerConfig& c, int64_t ports[3]) {
  fs.add_string("worker-work-dir", &c.work_dir,
                "directory for containers, volumes, keys and the embedded database");
  fs.add_string("worker-name", &c.name, "the name to register the worker as");
  fs.add_list("worker-tag", &c.tags, "a tag of the worker (repeatable)");
  fs.add_string("worker-runtime", &c.runtime, "runtime plugin (default: houdini)");
  fs.add_string("worker-plugin-dir", &c.plugin_dir, "directory of plugin shared objects");
  fs.add_string("worker-resource-types", &c.resource_types_dir,
                "directory of bundled resource types");
  fs.add_int("worker-bind-port", &ports[0], "port of the worker's Garden server");
  fs.add_int("worker-baggageclaim-bind-port", &ports[1], "port of the worker's Baggageclaim");
  fs.add_int("worker-healthcheck-bind-port", &ports[2], "port of the worker's health endpoint");
  fs.add_duration("worker-sweep-interval", &c.sweep_interval,
                  "interval of the worker's container and volume sweepers");
}

// Houdini until guardian has container networking and a default rootfs for image-less tasks
// (the demo pipeline's tasks have no image); --worker-runtime guardian opts in.
std::string pick_runtime(const worker::WorkerConfig&) {
  return "houdini";
}

void finish_worker(worker::WorkerConfig& c, const int64_t ports[3]) {
  c.work_dir = fs::absolute(c.work_dir).lexically_normal().string();
  c.plugin_dir = fs::absolute(c.plugin_dir).lexically_normal().string();
  if (c.runtime.empty())
    c.runtime = pick_runtime(c);
  c.bind_port = to_port(ports[0], "worker-bind-port");
  c.baggageclaim_bind_port = to_port(ports[1], "worker-baggageclaim-bind-port");
  c.healthcheck_bind_port = to_port(ports[2], "worker-healthcheck-bind-port");
  c.healthcheck_bind_ip = "127.0.0.1";
  c.tsa_enabled = true;
  fs::path keys = fs::path(c.work_dir) / "keys";
  c.tsa_public_key = (keys / "tsa_host_key.pub").string();
  c.tsa_worker_private_key = (keys / "worker_key").string();
}

QuickstartParsed parse_quickstart(int argc, char** argv) {
  QuickstartParsed p;
  auto& o = p.web;
  o.api.version = CONCOURSE_VERSION;
  o.api.bind_ip = "127.0.0.1";
  o.tsa.bind_ip = "127.0.0.1";
  auto& c = p.worker;
  c.name = hostname_or("quickstart");
  c.work_dir = (fs::temp_directory_path() / "concourse-quickstart").string();
  c.plugin_dir = install_dir("plugins");
  c.resource_types_dir = install_dir("resource-types");
  int64_t port = o.api.bind_port, tsa_port = o.tsa.bind_port;
  int64_t ports[3] = {c.bind_port, c.baggageclaim_bind_port, c.healthcheck_bind_port};
  std::vector<std::string> users;
  core::FlagSet fs("quickstart");
  fs.add_bool("help", &p.help, "show this help");
  add_web_flags(fs, p, users, port, tsa_port);
  add_worker_flags(fs, c, ports);
  fs.add_string("log-level", &p.log_level, "debug, info, warn, error or fatal");
  fs.add_string("log-format", &p.log_format, "text or json");
  if (argc > 1 && (std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h")) {
    std::cout << fs.usage();
    p.help = true;
    return p;
  }
  if (!fs.parse(argc, argv, 1).empty())
    throw core::UsageError("quickstart takes no positional arguments");
  o.placement = atc::engine::finish_placement_options(o.placement);
  p.embed_postgres = !p.pg.given(fs);
  if (!p.embed_postgres)
    o.postgres = p.pg.finish();
  if (users.empty())
    users = {"test:test"};
  for (const auto& u : users)
    o.local_users.push_back(atc::auth::parse_local_user(u));
  if (o.main_team_users.empty())
    o.main_team_users = {o.local_users.front().name};
  o.api.bind_port = to_port(port, "bind-port");
  o.tsa.bind_port = to_port(tsa_port, "tsa-bind-port");
  if (o.api.external_url.empty())
    o.api.external_url = "http://" + o.api.bind_ip + ":" + std::to_string(o.api.bind_port);
  finish_worker(c, ports);
  return p;
}

// First start only: the TSA host key, the worker key, and the authorized keys naming it.
void ensure_keys(const worker::WorkerConfig& c, tsa::Options& tsa,
                 const concourse::log::Logger& log) {
  fs::path dir = fs::path(c.work_dir) / "keys";
  fs::create_directories(dir);
  tsa.host_key_path = (dir / "tsa_host_key").string();
  tsa.authorized_keys_path = (dir / "worker_key.pub").string();
  for (const auto& key : {tsa.host_key_path, c.tsa_worker_private_key}) {
    if (fs::exists(key) && fs::exists(key + ".pub"))
      continue;
    tsa::write_rsa_key_pair(key, 3072);
    log.info("generated-key", {{"path", key}});
  }
}

sigset_t quickstart_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGINT, SIGTERM, SIGUSR1, SIGUSR2, SIGHUP})
    sigaddset(&set, s);
  return set;
}

int serve(QuickstartParsed& p, const concourse::log::Logger& log) {
  ensure_keys(p.worker, p.web.tsa, log);
  std::optional<atc::db::EmbeddedPostgres> pg;
  if (p.embed_postgres) {
    // PostgreSQL runs as its own user and must traverse the work dir to reach its data; the
    // work dir is ours, so let it through (search only, no listing).
    std::error_code ec;
    fs::permissions(p.worker.work_dir, fs::perms::others_exec, fs::perm_options::add, ec);
    atc::db::EmbeddedPostgresOptions po;
    po.dir = (fs::path(p.worker.work_dir) / "postgres").string();
    pg.emplace(po, concourse::log::Logger("postgres"));
    pg->start();
    p.web.postgres = pg->conn_params();
  }
  atc::WebNode web(std::move(p.web), concourse::log::Logger("web"));
  web.start();
  p.worker.tsa_hosts = {"127.0.0.1:" + std::to_string(web.tsa_port())};
  worker::Worker w(p.worker);
  w.start();
  log.info("quickstart-ready", {{"url", "http://127.0.0.1:" + std::to_string(web.api_port())},
                                {"tsa_port", std::to_string(web.tsa_port())},
                                {"worker", p.worker.name},
                                {"runtime", p.worker.runtime},
                                {"postgres", p.embed_postgres ? "embedded" : "external"}});
  sigset_t set = quickstart_signals();
  int sig = 0;
  while (sigwait(&set, &sig) != 0 || sig == SIGHUP || sig == SIGUSR1 || sig == SIGUSR2) {
    if (sig == SIGHUP)
      web.reload_tsa_keys();
  }
  log.info("signal-received", {{"signal", sig == SIGINT ? "SIGINT" : "SIGTERM"}});
  // The worker leaves first so its registration ends cleanly, then the web node, then the
  // database it used.
  w.stop();
  web.stop();
  if (pg)
    pg->stop();
  log.info("quickstart-stopped");
  return 0;
}

}  // namespace

int run_quickstart_command(int argc, char** argv) {
  // Before any thread exists, so every thread inherits the blocked mask and sigwait sees them.
  sigset_t set = quickstart_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  return run_logged_command("quickstart", argc, argv, parse_quickstart, serve);
}

}  // namespace concourse::cli
