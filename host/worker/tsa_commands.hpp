// What the worker's GC loops need from the TSA connection: run one TSA command (reference §3.3,
// e.g. "sweep-containers" or "report-volumes h1 h2") with the worker JSON on stdin and get its
// stdout. The beacon implements it over SSH; each call may be its own short connection.
#pragma once

#include <string>

namespace concourse::worker {

class TsaCommands {
 public:
  virtual ~TsaCommands() = default;
  // Throws core::Error (CC_E_UNAVAILABLE when the TSA cannot be reached, CC_E_INTERNAL when the
  // command exits non-zero, with its stderr in the message).
  virtual std::string run(const std::string& command_line, const std::string& worker_json) = 0;
};

}  // namespace concourse::worker
