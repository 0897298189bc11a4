// Running a helper program (iptables, iptables-restore) to completion: posix_spawn, so the
// (large, multithreaded) worker is not copied by fork, with the output kept for error messages.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace concourse::guardian {

struct CommandResult {
  int status = -1;     // exit code; 128+N when killed by signal N; -1 when it could not start
  std::string output;  // stdout and stderr, trailing newlines trimmed
};

// argv[0] is an absolute path. `input` becomes the program's stdin (empty = /dev/null).
CommandResult run_command(const std::vector<std::string>& argv, const std::string& input = "");

// `name` in $PATH, then /usr/sbin and /sbin (a worker's PATH may lack them); nullopt if absent.
std::optional<std::string> find_program(const std::string& name);

}  // namespace concourse::guardian
