// A guardian container: its bundle in the depot (config.json, rootfs or overlay dirs,
// resolv.conf, hosts), its network namespace, plus what must survive a worker restart, persisted as
// <bundle>/state.json.
#pragma once

#include <concourse/sdk.hpp>

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "network.hpp"

namespace concourse::guardian {

// One process started with `exec`; shared by the container (ProcessIDs, destroy) and the
// host's cc_process handle.
struct ProcState {
  std::string id;
  pid_t pid = -1;        // the `runc exec` process, our child
  std::string pid_file;  // where runc writes the container process's host pid
  int tty_fd = -1;       // our dup of the pty master, -1 without a terminal
  std::mutex mu;
  std::condition_variable cv;
  bool exited = false;
  int status = -1;
  ~ProcState();
};

struct Container {
  std::string handle;
  std::string bundle;
  std::string rootfs;    // what processes see as /
  bool overlay = false;  // rootfs is our overlay over `lower` (the default rootfs)
  std::string lower;
  bool privileged = false;
  std::vector<std::string> env;
  sdk::Properties properties;
  cc_limits limits{};
  int64_t grace_time_ns = 0;
  int64_t created_at_ns = 0;
  ContainerNet net;
  bool ready = false;                                           // false while being created
  std::map<std::string, std::shared_ptr<ProcState>> processes;  // live ones, by id
};

void save_container(const Container& c);  // atomically replaces <bundle>/state.json
std::vector<Container> load_containers(const std::string& depot);

// Mounts an overlay of `lower` at <bundle>/rootfs; throws sdk::Error.
void mount_overlay(const std::string& lower, const std::string& bundle);
// Unmounts <bundle>/rootfs if it is our overlay, then removes the bundle directory.
void remove_bundle(const Container& c);

// `path` inside `root`, lexically; ".." that climbs out is CC_E_INVALID.
std::string inside(const std::string& root, const std::string& path);

}  // namespace concourse::guardian
