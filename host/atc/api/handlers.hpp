// Route groups of the ATC API and the access checks they share.
#pragma once

#include <string>

#include "atc/api/request.hpp"
#include "atc/api/router.hpp"
#include "atc/auth/authenticator.hpp"
#include "atc/db/database.hpp"
#include "core/log.hpp"

namespace concourse::atc::api {

struct Options {
  std::string bind_ip = "0.0.0.0";
  uint16_t bind_port = 8080;  // 0 = any free port
  std::string external_url;   // reported by /api/v1/info
  std::string cluster_name;
  std::string version;  // ATC version reported by /api/v1/info
  int max_threads = 64;
  // Names this node's builds in the database, so a restart finds the builds it lost; must be
  // stable across restarts and distinct per web node. "" = the bind address and port.
  std::string node_name;
};

class BuildService;

struct Context {
  db::Database* db;
  auth::Authenticator* auth;
  const Options* options;
  concourse::log::Logger log;
  BuildService* builds = nullptr;
};

// Worker version this ATC schedules on; workers of ours and released Concourse send "2.5".
inline constexpr const char* kWorkerVersion = "2.5";

void add_auth_routes(Router& r, Context& ctx);      // /sky/*, /api/v1/user, /api/v1/info
void add_worker_routes(Router& r, Context& ctx);    // /api/v1/workers*
void add_team_routes(Router& r, Context& ctx);      // /api/v1/teams*
void add_artifact_routes(Router& r, Context& ctx);  // containers/volumes: GC and team lists
void add_pipeline_routes(Router& r, Context& ctx);  // pipelines and their config
void add_job_routes(Router& r, Context& ctx);       // jobs, triggering, job builds
void add_build_routes(Router& r, Context& ctx);     // builds, abort, plan, one-off builds
void add_event_routes(Router& r, Context& ctx);     // build events as server-sent events
void add_resource_routes(Router& r, Context& ctx);  // resources, versions, pins, checks

// 401 {"error":"not authorized"} unless the request carried a valid bearer token.
const db::TokenClaims& require_auth(const Request& req);
// 403 {"error":"forbidden"} unless the caller may act on `team` ("" = global: admin/system).
void require_team(const db::TokenClaims& c, const std::string& team);
void require_admin(const db::TokenClaims& c);

// A core::Error from the database layer as the HTTP error the API answers with.
HttpError from_core_error(int32_t code, const std::string& message);

}  // namespace concourse::atc::api
