#include "atc/api/hijack.hpp"

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/WebSocket.h>
#include <Poco/URI.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <sstream>
#include <thread>

#include "atc/db/builds.hpp"
#include "atc/db/pipelines.hpp"
#include "atc/db/workers.hpp"
#include "atc/engine/garden_client.hpp"
#include "atc/engine/garden_stream.hpp"

namespace concourse::atc::api {
namespace {

using nlohmann::json;
using Poco::Net::WebSocket;

std::string b64(const std::string& data) {
  std::ostringstream out;
  Poco::Base64Encoder enc(out);
  enc.rdbuf()->setLineLength(0);
  enc << data;
  enc.close();
  return out.str();
}

std::string unb64(const std::string& text) {
  std::istringstream in(text);
  Poco::Base64Decoder dec(in);
  std::ostringstream out;
  out << dec.rdbuf();
  return out.str();
}

std::vector<db::WorkerRow> running_workers(Context& ctx) {
  std::vector<db::WorkerRow> out;
  for (auto& w : db::Workers(*ctx.db).list()) {
    if (w.state == "running" && !w.addr.empty())
      out.push_back(std::move(w));
  }
  return out;
}

std::optional<db::BuildRow> wanted_build(Context& ctx, const Request& req) {
  db::Builds builds(*ctx.db);
  if (auto id = req.query_value("build_id"); !id.empty())
    return builds.get(std::atoll(id.c_str()));
  std::string pipeline = req.query_value("pipeline_name"), job = req.query_value("job_name");
  if (pipeline.empty() || job.empty())
    throw HttpError::message(400, "give build_id, or pipeline_name and job_name");
  auto p = db::Pipelines(*ctx.db).get(req.param("team"), pipeline);
  if (!p)
    return std::nullopt;
  auto j = db::Pipelines(*ctx.db).job(p->id, job);
  if (!j)
    return std::nullopt;
  if (auto name = req.query_value("build_name"); !name.empty())
    return builds.job_build(j->id, name);
  return builds.latest_of_job(j->id, false);
}

void send_json(WebSocket& ws, std::mutex& mu, const json& j) {
  std::string s = j.dump();
  std::lock_guard lock(mu);
  ws.sendFrame(s.data(), static_cast<int>(s.size()), WebSocket::FRAME_TEXT);
}

// HijackInput frames into the process until the session ends.
void pump_input(WebSocket& ws, engine::GardenStream& gs, const std::atomic<bool>& done) {
  std::string buf(1 << 16, '\0');
  ws.setReceiveTimeout(Poco::Timespan(0, 200000));
  while (!done) {
    int flags = 0, n = 0;
    try {
      n = ws.receiveFrame(buf.data(), static_cast<int>(buf.size()), flags);
    } catch (const Poco::TimeoutException&) {
      continue;
    } catch (const std::exception&) {
      return;
    }
    if (n <= 0 || (flags & WebSocket::FRAME_OP_BITMASK) == WebSocket::FRAME_OP_CLOSE)
      return;
    json in = json::parse(buf.substr(0, static_cast<size_t>(n)), nullptr, false);
    if (!in.is_object())
      continue;
    try {
      if (in.contains("stdin") && in["stdin"].is_string())
        gs.send_stdin(unb64(in["stdin"].get<std::string>()));
      if (in.value("closeStdin", false))
        gs.close_stdin();
      if (in.contains("tty") && in["tty"].is_object()) {
        auto w = in["tty"].value("window_size", json::object());
        gs.resize(w.value("columns", 80), w.value("rows", 24));
      }
    } catch (const std::exception&) {
      return;
    }
  }
}

json garden_spec(const json& hijack) {
  json spec{{"path", hijack.value("path", "")},
            {"args", hijack.value("args", json::array())},
            {"env", hijack.value("env", json::array())}};
  if (auto dir = hijack.value("dir", ""); !dir.empty())
    spec["dir"] = dir;
  if (auto user = hijack.value("user", ""); !user.empty())
    spec["user"] = user;
  if (hijack.contains("tty") && hijack["tty"].is_object())
    spec["tty"] = hijack["tty"];
  return spec;
}

void run_hijack(WebSocket& ws, const std::string& garden_addr, const std::string& handle) {
  std::mutex mu;
  std::string buf(1 << 16, '\0');
  int flags = 0;
  int n = ws.receiveFrame(buf.data(), static_cast<int>(buf.size()), flags);
  json spec = json::parse(buf.substr(0, static_cast<size_t>(std::max(n, 0))), nullptr, false);
  if (!spec.is_object()) {
    send_json(ws, mu, {{"error", "the first frame must be a JSON process spec"}});
    return;
  }
  engine::GardenStream gs(garden_addr, handle);
  try {
    gs.start(garden_spec(spec));
  } catch (const std::exception& e) {
    send_json(ws, mu,
              gs.executable_not_found() ? json{{"executable_not_found", true}}
                                        : json{{"error", e.what()}});
    return;
  }
  std::atomic<bool> done{false};
  std::thread input(pump_input, std::ref(ws), std::ref(gs), std::cref(done));
  try {
    while (gs.poll(
        100,
        [&](const std::string& d) {
          send_json(ws, mu, {{"stdout", b64(d)}});
        },
        [&](const std::string& d) {
          send_json(ws, mu, {{"stderr", b64(d)}});
        })) {
    }
    send_json(
        ws, mu,
        gs.exit_status() ? json{{"exit_status", *gs.exit_status()}} : json{{"error", gs.error()}});
  } catch (const std::exception&) {
    // The client went away; the process is left to end on its own, as Concourse does.
  }
  done = true;
  input.join();
}

}  // namespace

bool has_container_filters(const Request& req) {
  for (const char* k : {"pipeline_name", "job_name", "build_id", "build_name", "step_name"}) {
    if (!req.query_value(k).empty())
      return true;
  }
  return false;
}

Response list_build_containers(Context& ctx, const Request& req) {
  std::string team = req.param("team");
  require_team(require_auth(req), team);
  json out = json::array();
  auto build = wanted_build(ctx, req);
  if (!build || build->team != team)
    return Response::json(200, out);
  std::string step = req.query_value("step_name");
  for (const auto& w : running_workers(ctx)) {
    std::vector<std::string> handles;
    try {
      handles =
          engine::GardenClient(w.addr).list({{"concourse:build-id", std::to_string(build->id)}});
    } catch (const std::exception& e) {
      ctx.log.warn("list-containers-failed", {{"worker", w.name}, {"error", e.what()}});
      continue;
    }
    for (const auto& h : handles) {
      auto props = engine::garden_properties(w.addr, h);
      if (!step.empty() && props["concourse:step-name"] != step)
        continue;
      out.push_back({{"id", h},
                     {"worker_name", w.name},
                     {"type", props["concourse:type"]},
                     {"step_name", props["concourse:step-name"]},
                     {"plan_id", props["concourse:plan-id"]},
                     {"build_id", build->id},
                     {"build_name", build->name},
                     {"pipeline_name", build->pipeline},
                     {"job_name", build->job},
                     {"team_name", team},
                     {"state", "created"},
                     {"working_directory", props["concourse:working-directory"]},
                     {"user", props["concourse:user"]}});
    }
  }
  return Response::json(200, out);
}

bool serve_hijack(Context& ctx, Poco::Net::HTTPServerRequest& in,
                  Poco::Net::HTTPServerResponse& out) {
  if (in.getMethod() != "GET")
    return false;
  auto parts = split_path(Poco::URI(in.getURI()).getPath());
  if (parts.size() != 7 || parts[0] != "api" || parts[1] != "v1" || parts[2] != "teams" ||
      parts[4] != "containers" || parts[6] != "hijack")
    return false;
  auto refuse = [&](int status, const std::string& message) {
    out.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
    out.setContentType("application/json");
    std::string body = json{{"error", message}}.dump();
    out.setContentLength(static_cast<std::streamsize>(body.size()));
    out.send() << body;
    return true;
  };
  const std::string& team = parts[3];
  const std::string& handle = parts[5];
  auto claims = ctx.auth->verify(in.get("Authorization", ""));
  if (!claims)
    return refuse(401, "not authorized");
  try {
    require_team(*claims, team);
  } catch (const HttpError&) {
    return refuse(403, "forbidden");
  }
  std::string addr;
  for (const auto& w : running_workers(ctx)) {
    try {
      auto hs = engine::GardenClient(w.addr).list();
      if (std::find(hs.begin(), hs.end(), handle) == hs.end())
        continue;
      auto props = engine::garden_properties(w.addr, handle);
      auto b = db::Builds(*ctx.db).get(std::atoll(props["concourse:build-id"].c_str()));
      if (!b || b->team != team)
        return refuse(403, "forbidden");
      addr = w.addr;
      break;
    } catch (const std::exception& e) {
      ctx.log.warn("hijack-lookup-failed", {{"worker", w.name}, {"error", e.what()}});
    }
  }
  if (addr.empty())
    return refuse(404, "container " + handle + " not found");
  try {
    WebSocket ws(in, out);
    ctx.log.info("hijack", {{"handle", handle}, {"team", team}});
    run_hijack(ws, addr, handle);
    ws.shutdown();
  } catch (const std::exception& e) {
    ctx.log.warn("hijack-failed", {{"handle", handle}, {"error", e.what()}});
  }
  return true;
}

}  // namespace concourse::atc::api
