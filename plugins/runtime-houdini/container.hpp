// A houdini container: a directory (or a raw:// rootfs) plus the state that must survive a
// worker restart, persisted as JSON under the plugin's data dir.
#pragma once

#include <concourse/sdk.hpp>

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace concourse::houdini {

// One process started in a container; shared by the container (for ProcessIDs, stop, destroy)
// and the host's cc_process handle.
struct ProcState {
  std::string id;
  pid_t pid = -1;
  int tty_fd = -1;  // our dup of the pty master, -1 without a terminal
  std::mutex mu;
  std::condition_variable cv;
  bool exited = false;
  int status = -1;
  ~ProcState();
};

struct Container {
  std::string handle;
  std::string root;     // the directory processes see as their world
  bool chroot = false;  // true with a raw:// rootfs
  std::vector<std::string> env;
  sdk::Properties properties;
  int64_t grace_time_ns = 0;
  int64_t created_at_ns = 0;
  std::vector<std::string> mounts;                              // what we mounted, in order
  std::map<std::string, std::shared_ptr<ProcState>> processes;  // live ones, by id
};

// Persistence: one file per container, replaced atomically on every change.
void save_container(const std::string& state_dir, const Container& c);
void remove_container_state(const std::string& state_dir, const std::string& handle);
std::vector<Container> load_containers(const std::string& state_dir);

// Mount helpers for raw:// rootfs containers (root only). Each throws sdk::Error.
void bind_mount(const std::string& src, const std::string& target, bool read_only);
void unmount_all(const std::vector<std::string>& targets);
bool is_mount_point(const std::string& path);

// `path` inside `root`, lexically; ".." that climbs out is CC_E_INVALID.
std::string inside(const std::string& root, const std::string& path);

}  // namespace concourse::houdini
