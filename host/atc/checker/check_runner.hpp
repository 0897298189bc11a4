// Runs a resource type's /opt/resource/check once in a fresh check container on a worker that
// offers the type (reference §7): {source, version} on stdin, the versions found on stdout,
// stderr kept as the error when the script fails.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "atc/engine/workers.hpp"

namespace concourse::atc::checker {

struct CheckCall {
  std::string team, type;
  std::vector<std::string> tags;
  nlohmann::json source, version;  // version null: first check
};

struct CheckResult {
  bool ok = false;
  std::vector<nlohmann::json> versions;  // in the order check printed them (oldest first)
  std::string error;                     // !ok: what went wrong, for users
};

// Never throws: any failure (no worker, container, bad output) is an error result.
CheckResult run_check(engine::WorkerPool& workers, engine::ImageCache& images,
                      const CheckCall& call);

}  // namespace concourse::atc::checker
