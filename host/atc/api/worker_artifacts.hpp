// fly execute's artifacts (reference §11.1): uploaded inputs and a one-off build's outputs, each
// a volume on a worker known by an integer id (db/worker_artifacts.hpp, so any web node serves
// any of them); each volume is also a `volumes` row in state created, so the workers' GC
// reports do not mark it destroying, until it expires.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

#include "atc/api/router.hpp"
#include "atc/db/database.hpp"

namespace concourse::atc::api {

struct Context;

// POST /api/v1/teams/:team/artifacts, GET /api/v1/teams/:team/artifacts/:artifact_id,
// GET /api/v1/builds/:build_id/artifacts.
void add_worker_artifact_routes(Router& r, Context& ctx);

// The engine's artifact_output step reports {"name","worker","volume"} as a "worker-artifact"
// event; the build service hands it here instead of storing it.
void record_output_artifact(db::Database& db, int64_t build_id, const std::string& team,
                            const nlohmann::json& data);

// Adds "worker" and "volume" to every artifact_input of a one-off plan, so the engine finds the
// uploads; 404 for an unknown artifact id, 403 for another team's.
void resolve_artifact_inputs(db::Database& db, nlohmann::json& plan, const std::string& team);

}  // namespace concourse::atc::api
