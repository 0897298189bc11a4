// `concourse web`: the ATC (API, auth, collectors) and the TSA in one process, flags named as
// Concourse names them (and their CONCOURSE_* env vars).
#include <signal.h>

#include <csignal>
#include <iostream>

#include "atc/db/flags.hpp"
#include "atc/web_node.hpp"
#include "cli/cli_util.hpp"
#include "cli/commands.hpp"
#include "core/flags.hpp"
#include "core/log.hpp"

namespace concourse::cli {
namespace {

struct WebParsed {
  atc::WebNodeOptions options;
  std::string log_level = "info";
  std::string log_format = "text";
  bool help = false;
};

// Flags of the TSA half, namespace `tsa` as in reference §3.1.
void add_tsa_flags(core::FlagSet& fs, tsa::Options& t, std::vector<std::string>& team_keys,
                   int64_t& port) {
  fs.add_string("tsa-bind-ip", &t.bind_ip, "IP address on which to listen for SSH");
  fs.add_int("tsa-bind-port", &port, "port on which to listen for SSH");
  fs.add_string("tsa-host-key", &t.host_key_path, "path to the RSA private key of the SSH server");
  fs.require("tsa-host-key");
  fs.add_string("tsa-authorized-keys", &t.authorized_keys_path,
                "authorized_keys file of worker keys that may register any worker");
  fs.add_list("tsa-team-authorized-keys", &team_keys,
              "TEAM:PATH authorized_keys file of one team's workers (repeatable)");
  fs.add_list("tsa-atc-url", &t.atc_urls, "ATC API the TSA calls (default: this web node)");
  fs.add_string("tsa-client-id", &t.client_id, "client used to fetch the TSA's token");
  fs.add_string("tsa-client-secret", &t.client_secret,
                "secret of that client (default: random per web node)");
  fs.add_string("tsa-token-url", &t.token_url,
                "token endpoint (default: <atc-url>/sky/issuer/token)");
  fs.add_duration("tsa-heartbeat-interval", &t.heartbeat_interval,
                  "interval on which to heartbeat workers to the ATC");
  fs.add_duration("tsa-garden-request-timeout", &t.garden_request_timeout,
                  "deadline of the TSA's requests to a worker's Garden");
}

void add_atc_flags(core::FlagSet& fs, atc::WebNodeOptions& o, std::vector<std::string>& users,
                   int64_t& port, std::string& peer) {
  fs.add_string("bind-ip", &o.api.bind_ip, "IP address on which to listen for web traffic");
  fs.add_int("bind-port", &port, "port on which to listen for HTTP traffic");
  fs.add_string("external-url", &o.api.external_url, "URL used to reach any ATC from outside");
  fs.add_string("cluster-name", &o.api.cluster_name, "name of the cluster, shown by the API");
  fs.add_string("peer-address", &peer,
                "network address of this web node, reachable by other "
                "web nodes; used for forwarded worker addresses");
  fs.add_list("add-local-user", &users, "USERNAME:PASSWORD of a local user (repeatable)");
  fs.add_list("main-team-local-user", &o.main_team_users,
              "local user allowed into the main team (repeatable)");
  fs.add_duration("gc-interval", &o.gc_interval, "interval on which to collect workers");
  fs.add_duration("resource-checking-interval", &o.checking.interval,
                  "interval on which to check for new versions of resources");
  fs.add_duration("resource-with-webhook-checking-interval", &o.checking.webhook_interval,
                  "interval on which to check resources that have a webhook token");
  atc::engine::add_placement_flags(fs, o.placement);
}

WebParsed parse_web(int argc, char** argv) {
  WebParsed p;
  auto& o = p.options;
  o.api.version = CONCOURSE_VERSION;
  int64_t bind_port = o.api.bind_port, tsa_port = o.tsa.bind_port;
  std::vector<std::string> users, team_keys;
  std::string peer = "127.0.0.1";
  std::chrono::nanoseconds auth_duration = o.auth_duration;
  atc::db::PostgresFlags pg;
  core::FlagSet fs("web");
  fs.add_bool("help", &p.help, "show this help");
  add_atc_flags(fs, o, users, bind_port, peer);
  fs.add_duration("auth-duration", &auth_duration, "length of time for which tokens are valid");
  atc::db::add_postgres_flags(fs, pg);
  add_tsa_flags(fs, o.tsa, team_keys, tsa_port);
  fs.add_string("log-level", &p.log_level, "debug, info, warn, error or fatal");
  fs.add_string("log-format", &p.log_format, "text or json");
  if (argc > 1 && (std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h")) {
    std::cout << fs.usage();
    p.help = true;
    return p;
  }
  if (!fs.parse(argc, argv, 1).empty())
    throw core::UsageError("web takes no positional arguments");
  o.postgres = pg.finish();
  o.placement = atc::engine::finish_placement_options(o.placement);
  o.api.bind_port = to_port(bind_port, "bind-port");
  o.tsa.bind_port = to_port(tsa_port, "tsa-bind-port");
  o.tsa.peer_address = peer;  // Concourse's web overrides --tsa-peer-address with its own
  o.auth_duration = std::chrono::duration_cast<std::chrono::seconds>(auth_duration);
  if (o.gc_interval.count() <= 0)
    throw core::UsageError("--gc-interval must be positive");
  for (const auto& u : users)
    o.local_users.push_back(atc::auth::parse_local_user(u));
  for (const auto& spec : team_keys) {
    auto colon = spec.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == spec.size())
      throw core::UsageError("--tsa-team-authorized-keys: expected TEAM:PATH, got '" + spec + "'");
    o.tsa.team_authorized_keys.emplace_back(spec.substr(0, colon), spec.substr(colon + 1));
  }
  if (o.api.external_url.empty()) {
    std::string host = o.api.bind_ip == "0.0.0.0" ? "127.0.0.1" : o.api.bind_ip;
    o.api.external_url = "http://" + host + ":" + std::to_string(o.api.bind_port);
  }
  return p;
}

sigset_t web_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGINT, SIGTERM, SIGHUP})
    sigaddset(&set, s);
  return set;
}

int serve(atc::WebNode& node, const concourse::log::Logger& log) {
  node.start();
  sigset_t set = web_signals();
  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0)
      continue;
    if (sig == SIGHUP) {
      log.info("reloading-authorized-keys");
      node.reload_tsa_keys();
      continue;
    }
    log.info("signal-received", {{"signal", sig == SIGINT ? "SIGINT" : "SIGTERM"}});
    break;
  }
  node.stop();
  log.info("web-stopped");
  return 0;
}

}  // namespace

int run_web_command(int argc, char** argv) {
  // Before any thread exists, so every thread inherits the blocked mask and sigwait sees them.
  sigset_t set = web_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  return run_logged_command("web", argc, argv, parse_web,
                            [](WebParsed& p, const concourse::log::Logger& log) {
                              atc::WebNode node(std::move(p.options), log);
                              return serve(node, log);
                            });
}

}  // namespace concourse::cli
