#include "tsa/commands.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace concourse::tsa {
namespace {

using std::chrono::nanoseconds;
using Json = nlohmann::json;

struct Ctx {
  const Options& options;
  AtcClient& atc;
  CommandIo& io;
  const concourse::log::Logger& log;
  std::string name;
};

[[noreturn]] void fail(const std::string& message) {
  throw core::Error(CC_E_INTERNAL, message);
}

void check_team(const Json& worker, const std::string& key_team) {
  if (key_team.empty())
    return;
  std::string team = worker.value("team", std::string());
  if (team.empty())
    fail("key is bound to team '" + key_team + "' but the worker is global");
  if (team != key_team)
    fail("key is bound to team '" + key_team + "' but the worker belongs to team '" + team + "'");
}

HttpResult expect(Ctx& c, const std::string& method, const std::string& path,
                  std::initializer_list<int> ok, const std::string& body = "") {
  auto r = c.atc.call(method, path, body, body.empty() ? "" : "application/json");
  if (std::find(ok.begin(), ok.end(), r.status) == ok.end()) {
    fail(method + " " + path + ": ATC answered " + std::to_string(r.status) +
         (r.body.empty() ? "" : ": " + r.body.substr(0, 200)));
  }
  return r;
}

nanoseconds retry_delay(const Options& o) {
  return std::min<nanoseconds>(o.heartbeat_interval, std::chrono::seconds(1));
}

// GET /containers on Garden and GET /volumes on Baggageclaim, through the tunnel when the
// worker is forwarded: a worker whose servers do not answer is not heartbeated.
bool count_active(Ctx& c, Json& worker) {
  try {
    std::string bc = worker.value("baggageclaim_url", std::string());
    auto g = http_request("GET", "http://" + worker.value("addr", std::string()) + "/containers",
                          "", "", c.options.garden_request_timeout);
    auto v = http_request("GET", bc + "/volumes", "", "", c.options.garden_request_timeout);
    if (g.status != 200 || v.status != 200) {
      c.log.warn("worker-unhealthy", {{"garden_status", std::to_string(g.status)},
                                      {"baggageclaim_status", std::to_string(v.status)}});
      return false;
    }
    auto gj = Json::parse(g.body, nullptr, false);
    auto vj = Json::parse(v.body, nullptr, false);
    // Garden's list is {"Handles":[...]} (Go field name, capital H).
    if (!gj.is_object() || !gj.contains("Handles") || !gj["Handles"].is_array() ||
        !vj.is_array()) {
      c.log.warn("worker-unhealthy", {{"error", "unexpected list response"},
                                      {"garden_body", g.body.substr(0, 200)}});
      return false;
    }
    worker["active_containers"] = gj["Handles"].size();
    worker["active_volumes"] = vj.size();
    return true;
  } catch (const core::Error& e) {
    c.log.warn("worker-unhealthy", {{"error", e.what()}});
    return false;
  }
}

void register_worker(Ctx& c, Json& worker) {
  std::string ttl = go_duration(2 * c.options.heartbeat_interval);
  for (;;) {
    if (count_active(c, worker)) {
      try {
        auto r =
            c.atc.call("POST", "/api/v1/workers?ttl=" + ttl, worker.dump(), "application/json");
        if (r.status == 200)
          return;
        c.log.warn("register-failed", {{"status", std::to_string(r.status)}, {"body", r.body}});
      } catch (const core::Error& e) {
        c.log.warn("register-failed", {{"error", e.what()}});
      }
    }
    if (c.io.wait_cancelled(retry_delay(c.options)))
      return;
  }
}

// True when the registration is over (landed or gone); false to go on heartbeating.
bool heartbeat_once(Ctx& c, Json& worker, bool& healthy) {
  healthy = false;
  if (!count_active(c, worker))
    return false;
  std::string ttl = go_duration(2 * c.options.heartbeat_interval);
  HttpResult r;
  try {
    r = c.atc.call("PUT", "/api/v1/workers/" + url_escape(c.name) + "/heartbeat?ttl=" + ttl,
                   worker.dump(), "application/json");
  } catch (const core::Error& e) {
    c.log.warn("heartbeat-failed", {{"error", e.what()}});
    return false;
  }
  if (r.status == 404) {
    c.log.info("worker-gone");
    return true;
  }
  if (r.status != 200) {
    c.log.warn("heartbeat-failed", {{"status", std::to_string(r.status)}});
    return false;
  }
  healthy = true;
  auto state = Json::parse(r.body, nullptr, false);
  if (state.is_object() && state.value("state", std::string()) == "landed") {
    c.log.info("worker-landed");
    return true;
  }
  return false;
}

void heartbeat_loop(Ctx& c, Json& worker) {
  register_worker(c, worker);
  if (c.io.wait_cancelled(nanoseconds(0)))
    return;
  c.log.info("registered", {{"addr", worker.value("addr", std::string())}});
  c.io.write_stdout("{\"event\":\"registered\"}\n");
  nanoseconds wait = c.options.heartbeat_interval;
  while (!c.io.wait_cancelled(wait)) {
    bool healthy = false;
    if (heartbeat_once(c, worker, healthy))
      return;
    if (healthy)
      c.io.write_stdout("{\"event\":\"heartbeated\"}\n");
    wait = healthy ? c.options.heartbeat_interval : retry_delay(c.options);
  }
}

std::string flag_value(const std::vector<std::string>& argv, const std::string& flag) {
  for (size_t i = 1; i + 1 < argv.size(); ++i) {
    if (argv[i] == flag)
      return argv[i + 1];
  }
  return "";
}

void forward_worker(Ctx& c, const std::vector<std::string>& argv, Json& worker) {
  auto garden = flag_value(argv, "--garden");
  auto bc = flag_value(argv, "--baggageclaim");
  if (garden.empty() || bc.empty())
    fail("forward-worker needs --garden ADDR and --baggageclaim ADDR");
  auto port_of = [](const std::string& addr) -> uint32_t {
    auto colon = addr.rfind(':');
    return colon == std::string::npos ? 0
                                      : static_cast<uint32_t>(std::stoul(addr.substr(colon + 1)));
  };
  auto forwards = c.io.wait_forwards(2, std::chrono::seconds(10));
  const Forward* g = nullptr;
  const Forward* b = nullptr;
  for (const auto& f : forwards) {
    if (f.requested_port == port_of(garden))
      g = &f;
    else if (f.requested_port == port_of(bc))
      b = &f;
  }
  if (g == nullptr || b == nullptr)
    fail("forward-worker: the client did not request forwards for both " + garden + " and " + bc);
  worker["addr"] = c.options.peer_address + ":" + std::to_string(g->bound_port);
  worker["baggageclaim_url"] =
      "http://" + c.options.peer_address + ":" + std::to_string(b->bound_port);
  heartbeat_loop(c, worker);
  c.io.stop_forwarding();
}

std::string handles_body(const std::vector<std::string>& argv) {
  Json arr = Json::array();
  for (size_t i = 1; i < argv.size(); ++i) {
    if (!argv[i].empty())
      arr.push_back(argv[i]);
  }
  return arr.dump();
}

}  // namespace

std::vector<std::string> split_command(const std::string& line) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    auto sp = line.find(' ', start);
    out.push_back(line.substr(start, sp == std::string::npos ? sp : sp - start));
    if (sp == std::string::npos)
      return out;
    start = sp + 1;
  }
}

void run_command(const std::vector<std::string>& argv, Json worker, const std::string& key_team,
                 const Options& options, AtcClient& atc, CommandIo& io,
                 const concourse::log::Logger& log) {
  check_team(worker, key_team);
  std::string name = worker.value("name", std::string());
  if (name.empty())
    name = worker.value("addr", std::string());
  Ctx c{options, atc, io, log, name};
  const std::string& cmd = argv.at(0);
  std::string q = "?worker_name=" + url_escape(name);
  std::string path = "/api/v1/workers/" + url_escape(name);
  if (cmd != "forward-worker" && cmd != "register-worker" && name.empty())
    fail(cmd + ": the worker JSON has no name");
  if (cmd == "forward-worker") {
    forward_worker(c, argv, worker);
  } else if (cmd == "register-worker") {
    if (worker.value("addr", std::string()).empty())
      fail("register-worker: missing garden address");
    heartbeat_loop(c, worker);
  } else if (cmd == "land-worker") {
    expect(c, "PUT", path + "/land", {200});
  } else if (cmd == "retire-worker") {
    expect(c, "PUT", path + "/retire", {200, 404});
  } else if (cmd == "delete-worker") {
    expect(c, "DELETE", path, {200, 204});
  } else if (cmd == "sweep-containers") {
    io.write_stdout(expect(c, "GET", "/api/v1/containers/destroying" + q, {200}).body);
  } else if (cmd == "sweep-volumes") {
    io.write_stdout(expect(c, "GET", "/api/v1/volumes/destroying" + q, {200}).body);
  } else if (cmd == "report-containers") {
    expect(c, "PUT", "/api/v1/containers/report" + q, {204}, handles_body(argv));
  } else if (cmd == "report-volumes") {
    expect(c, "PUT", "/api/v1/volumes/report" + q, {204}, handles_body(argv));
  } else {
    throw core::Error(CC_E_INVALID, "invalid command: " + cmd);
  }
}

}  // namespace concourse::tsa
