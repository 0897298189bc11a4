// Starting a process the way houdini does: on the host, or chroot'ed into a rootfs, with pipes
// or a terminal, in its own process group so signals reach its children too.
#pragma once

#include <concourse/runtime.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace concourse::houdini {

struct SpawnRequest {
  std::string root;       // chroot target; empty = run on the host
  std::string exec_path;  // resolved executable, as seen after the chroot
  std::vector<std::string> argv;
  std::vector<std::string> env;  // "K=V"
  std::string cwd;               // as seen after the chroot
  std::optional<cc_tty_size> tty;
};

struct Spawned {
  pid_t pid = -1;
  int pidfd = -1;
  int stdin_fd = -1, stdout_fd = -1, stderr_fd = -1;  // parent ends, for the host
  int tty_fd = -1;                                    // our own dup of the pty master, for resize
};

// Throws sdk::Error (CC_E_NOT_FOUND when exec fails with ENOENT, CC_E_PERMISSION, ...).
Spawned spawn_process(const SpawnRequest& req);

// Finds `path` like execvp would, inside `root` ("" = host). Returns the path as seen inside the
// root, or nullopt. A path with a '/' is taken relative to cwd (inside the root).
std::optional<std::string> resolve_executable(const std::string& root, const std::string& path,
                                              const std::string& search_path,
                                              const std::string& cwd);

}  // namespace concourse::houdini
