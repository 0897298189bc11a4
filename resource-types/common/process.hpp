// Child processes (git, mostly) are always started from an argv vector, never through a shell,
// so values from the pipeline config can't be interpreted as shell syntax.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace concourse::resource {

struct ProcessOptions {
  std::filesystem::path cwd;              // empty: inherit
  std::optional<std::string> stdin_data;  // empty: /dev/null
  bool capture_stdout = true;             // false: child's stdout goes to our stderr
  bool capture_stderr = false;            // true: collected (and still echoed to stderr)
  std::vector<std::pair<std::string, std::string>> env;  // added to the inherited environment
};

struct ProcessResult {
  int exit_code = -1;
  std::string out;
  std::string err;
  bool ok() const { return exit_code == 0; }
};

ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& opts = {});

// Runs and throws Error("<argv0> <argv1>: exit N") on failure; returns captured stdout.
std::string run_checked(const std::vector<std::string>& argv, const ProcessOptions& opts = {});

}  // namespace concourse::resource
