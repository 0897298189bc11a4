// `plugins verify`: load each plugin in a child process first, so a plugin that crashes or hangs
// in its entry is reported instead of taking the caller down (GStreamer's registry scanner idea).
#pragma once

#include <chrono>
#include <string>

#include "core/plugin/refusal.hpp"

namespace concourse::core::plugin {

struct Verdict {
  std::string path;
  bool ok = false;
  std::string name, version, kind;
  std::string abi;     // "major.minor" the plugin was built with
  std::string reason;  // to_string(RefusalReason) when refused
  std::string message;
};

// Child side: load one plugin (no cache) and print the verdict as one JSON line on stdout.
// Returns the child's exit code (0 ok, 1 refused).
int run_verify_child(const std::string& path);

// Parent side: runs `<self_exe> plugins verify --child PATH` and turns a crash, a hang (killed
// after timeout) or garbage output into a refused verdict.
Verdict verify_in_child(const std::string& self_exe, const std::string& path,
                        std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace concourse::core::plugin
