// Streaming a build's events as `fly watch` renders them, for the verbs that start builds.
#pragma once

#include <cstdint>

#include "fly/client.hpp"
#include "fly/fly.hpp"

namespace concourse::fly {

// Renders the build's events until it ends; returns fly's exit code for its final status
// (0 succeeded, 1 failed, 2 errored, 3 aborted).
int watch_build(Context& ctx, const Client& c, int64_t build_id);

}  // namespace concourse::fly
