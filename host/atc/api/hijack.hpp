// fly hijack/intercept on the ATC side: the containers of a build step, found through the
// workers' Garden properties the engine sets (concourse:build-id, concourse:step-name, ...), and
// the hijack WebSocket (atc.HijackProcessSpec, then HijackInput/HijackOutput frames) running a
// process in one of them through the worker's Garden API.
#pragma once

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include "atc/api/handlers.hpp"

namespace concourse::atc::api {

// GET /api/v1/teams/:team/containers with pipeline_name/job_name/build_name/build_id/step_name.
bool has_container_filters(const Request& req);
Response list_build_containers(Context& ctx, const Request& req);

// True (and answered) when the request was GET .../containers/:handle/hijack.
bool serve_hijack(Context& ctx, Poco::Net::HTTPServerRequest& in,
                  Poco::Net::HTTPServerResponse& out);

}  // namespace concourse::atc::api
