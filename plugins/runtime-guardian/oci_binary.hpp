// The OCI runtime CLI (runc or crun), driven as Guardian drives it: one state root per plugin
// instance, containers created detached with our init as PID 1, processes added with `exec`.
#pragma once

#include <string>
#include <vector>

namespace concourse::guardian {

class OciBinary {
 public:
  // bin: name (looked up in $PATH) or path. state_root: the runtime's --root (created).
  OciBinary(const std::string& bin, const std::string& state_root);

  const std::string& path() const { return path_; }
  bool is_crun() const { return crun_; }

  // `run -d`: create and start the container of `bundle`. Throws sdk::Error with its output.
  void run_detached(const std::string& id, const std::string& bundle) const;
  // `delete --force`; a container the runtime does not know is fine.
  void remove(const std::string& id) const;
  // `kill [--all] id SIGNAL`; errors are returned as text ("" = ok).
  std::string kill(const std::string& id, int signal, bool all) const;
  // True when the runtime knows the container (its `state` succeeds).
  bool exists(const std::string& id) const;
  // argv of `exec --process <process_json> --pid-file <pid_file> id`, for the caller to spawn.
  std::vector<std::string> exec_argv(const std::string& id, const std::string& process_json,
                                     const std::string& pid_file) const;

 private:
  struct Result {
    int status;
    std::string output;
  };
  Result run(const std::vector<std::string>& args, bool hybrid_workaround) const;

  std::string path_, root_, empty_controllers_;
  bool crun_ = false;
  bool hybrid_ = false;  // the v2 root still lists controllers: crun needs the workaround
};

}  // namespace concourse::guardian
