#include "atc/api/worker_artifacts.hpp"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>
#include <Poco/UUIDGenerator.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <ostream>
#include <sstream>

#include "atc/api/ci_json.hpp"
#include "atc/api/handlers.hpp"
#include "atc/db/artifacts.hpp"
#include "atc/db/builds.hpp"
#include "atc/db/worker_artifacts.hpp"
#include "atc/db/workers.hpp"
#include "atc/engine/baggageclaim_client.hpp"

namespace concourse::atc::api {
namespace {

using nlohmann::json;

// Concourse keeps unused artifacts for hours; a fly execute needs them for one build.
constexpr int64_t kArtifactLifetime = 30 * 60;

int64_t now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

json artifact_json(const db::WorkerArtifactRow& a) {
  json j{{"id", a.id}, {"name", a.name}, {"created_at", a.created_at}};
  j["build_id"] = a.build_id == 0 ? json() : json(a.build_id);
  return j;
}

// Expired artifacts become destroying, so their worker's next sweep removes the volume.
void expire(db::Database& db) {
  for (const auto& h : db::WorkerArtifacts(db).expire(now() - kArtifactLifetime))
    db::Artifacts(db, db::ArtifactKind::Volume).set_state(h, "destroying");
}

// The volume is a `volumes` row in state created too, so the workers' GC reports spare it.
db::WorkerArtifactRow add(db::Database& db, db::WorkerArtifactRow a) {
  db::ArtifactRow row;
  row.handle = a.volume;
  row.worker_name = a.worker;
  row.state = "created";
  row.team = a.team;
  row.build_id = a.build_id;
  row.type = "artifact";
  db::Artifacts(db, db::ArtifactKind::Volume).save(row);
  return db::WorkerArtifacts(db).add(std::move(a), now());
}

// A running worker the team may use, with every requested tag, on the platform.
db::WorkerRow choose_worker(Context& ctx, const std::string& team, const Request& req) {
  std::string platform = req.query_value("platform");
  std::string tag = req.query_value("tags");
  std::optional<db::WorkerRow> best;
  for (auto& w : db::Workers(*ctx.db).list()) {
    if (w.state != "running" || w.baggageclaim_url.empty())
      continue;
    if (!w.team.empty() && w.team != team)
      continue;
    if (!platform.empty() && !w.platform.empty() && w.platform != platform)
      continue;
    if (!tag.empty() && std::find(w.tags.begin(), w.tags.end(), tag) == w.tags.end())
      continue;
    if (tag.empty() && !w.tags.empty())
      continue;
    if (!best || w.active_containers < best->active_containers)
      best = w;
  }
  if (!best)
    throw HttpError::message(
        503, "no workers available for team '" + team + "' (platform '" + platform + "')");
  return *best;
}

// Baggageclaim's stream routes with gzip on the wire, as fly sends and expects it. The upload
// passes through in chunks: its size is bounded by the worker's disk, not by our memory.
void bc_stream_in(const std::string& url, const std::string& handle, std::istream& tgz) {
  Poco::URI uri(url);
  Poco::Net::HTTPClientSession s(uri.getHost(), uri.getPort());
  s.setTimeout(Poco::Timespan(600, 0));
  Poco::Net::HTTPRequest req("PUT", "/volumes/" + handle + "/stream-in?path=.",
                             Poco::Net::HTTPMessage::HTTP_1_1);
  req.set("Content-Encoding", "gzip");
  req.setContentType("application/octet-stream");
  req.setChunkedTransferEncoding(true);
  Poco::StreamCopier::copyStream(tgz, s.sendRequest(req), 1 << 16);
  Poco::Net::HTTPResponse resp;
  std::string reply;
  Poco::StreamCopier::copyToString(s.receiveResponse(resp), reply);
  if (resp.getStatus() >= 300)
    throw HttpError::message(400, "unpacking the upload: " + reply);
}

void bc_stream_out(const std::string& url, const std::string& handle, std::ostream& out) {
  Poco::URI uri(url);
  Poco::Net::HTTPClientSession s(uri.getHost(), uri.getPort());
  s.setTimeout(Poco::Timespan(600, 0));
  Poco::Net::HTTPRequest req("PUT", "/volumes/" + handle + "/stream-out?path=.",
                             Poco::Net::HTTPMessage::HTTP_1_1);
  req.set("Accept-Encoding", "gzip");
  req.setContentLength(0);
  s.sendRequest(req);
  Poco::Net::HTTPResponse resp;
  std::istream& in = s.receiveResponse(resp);
  if (resp.getStatus() >= 300)
    throw std::runtime_error("baggageclaim stream-out " + handle + ": status " +
                             std::to_string(resp.getStatus()));
  Poco::StreamCopier::copyStream(in, out);
  out.flush();
}

Response upload(Context& ctx, const Request& req) {
  std::string team = req.param("team");
  require_team(require_auth(req), team);
  expire(*ctx.db);
  db::WorkerRow w = choose_worker(ctx, team, req);
  engine::BaggageclaimClient bc(w.baggageclaim_url);
  std::string handle = Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
  bc.create(handle, {{"type", "empty"}}, {{"concourse:artifact", "upload"}});
  try {
    if (req.body_stream == nullptr)
      throw std::logic_error("artifact upload route must stream its body");
    bc_stream_in(w.baggageclaim_url, handle, *req.body_stream);
  } catch (...) {
    bc.destroy(handle);
    throw;
  }
  auto a = add(*ctx.db, {0, "", team, w.name, handle, 0, 0});
  return Response::json(201, artifact_json(a));
}

Response download(Context& ctx, const Request& req) {
  std::string team = req.param("team");
  require_team(require_auth(req), team);
  auto a = db::WorkerArtifacts(*ctx.db).get(id_param(req, "artifact_id"));
  if (!a || a->team != team)
    throw HttpError::message(404, "artifact not found");
  auto w = db::Workers(*ctx.db).get(a->worker);
  if (!w || w->baggageclaim_url.empty())
    throw HttpError::message(503, "the worker holding the artifact is gone");
  Response resp;
  resp.content_type = "application/octet-stream";
  resp.stream = [url = w->baggageclaim_url, volume = a->volume](std::ostream& out) {
    bc_stream_out(url, volume, out);
  };
  return resp;
}

Response build_artifacts(Context& ctx, const Request& req) {
  auto b = db::Builds(*ctx.db).get(id_param(req, "build_id"));
  if (!b)
    throw HttpError::message(404, "build not found");
  require_team(require_auth(req), b->team);
  json out = json::array();
  for (const auto& a : db::WorkerArtifacts(*ctx.db).for_build(b->id))
    out.push_back(artifact_json(a));
  return Response::json(200, out);
}

}  // namespace

void add_worker_artifact_routes(Router& r, Context& ctx) {
  r.add_streaming("POST", "/api/v1/teams/:team/artifacts",
                  [&ctx](Request& req) { return upload(ctx, req); });
  r.add("GET", "/api/v1/teams/:team/artifacts/:artifact_id",
        [&ctx](Request& req) { return download(ctx, req); });
  r.add("GET", "/api/v1/builds/:build_id/artifacts",
        [&ctx](Request& req) { return build_artifacts(ctx, req); });
}

void record_output_artifact(db::Database& db, int64_t build_id, const std::string& team,
                            const json& data) {
  add(db, {0, data.value("name", ""), team, data.value("worker", ""), data.value("volume", ""),
           build_id, 0});
}

void resolve_artifact_inputs(db::Database& db, json& plan, const std::string& team) {
  if (plan.is_array()) {
    for (auto& p : plan)
      resolve_artifact_inputs(db, p, team);
    return;
  }
  if (!plan.is_object())
    return;
  if (plan.contains("artifact_input") && plan["artifact_input"].is_object()) {
    auto& in = plan["artifact_input"];
    auto a = db::WorkerArtifacts(db).get(in.value("artifact_id", int64_t{0}));
    if (!a)
      throw HttpError::message(404,
                               "artifact " + in.value("artifact_id", json()).dump() + " not found");
    if (a->team != team)
      throw HttpError::message(403, "forbidden");
    in["worker"] = a->worker;
    in["volume"] = a->volume;
    return;
  }
  for (auto it = plan.begin(); it != plan.end(); ++it)
    resolve_artifact_inputs(db, *it, team);
}

}  // namespace concourse::atc::api
