// Watches the --resource-types directory with inotify (the directory and every subdirectory, as
// they appear) and calls back once changes have settled: a copy in progress writes many events,
// so the callback waits until `settle` passes without any. `tick` also calls back periodically
// (with changed=false) so the owner can retry failed installs and remove unused ones.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <thread>

#include "core/log.hpp"

namespace concourse::worker {

class ResourceTypeWatcher {
 public:
  using Callback = std::function<void(bool changed)>;
  ResourceTypeWatcher(std::string dir, std::chrono::milliseconds settle,
                      std::chrono::milliseconds tick, Callback callback,
                      concourse::log::Logger log);
  ~ResourceTypeWatcher();
  ResourceTypeWatcher(const ResourceTypeWatcher&) = delete;
  ResourceTypeWatcher& operator=(const ResourceTypeWatcher&) = delete;

  void start();  // throws core::Error when inotify cannot watch the directory
  void stop();   // idempotent; joins the thread

 private:
  void loop();
  void add_tree(const std::string& dir);
  bool drain_events();  // true when any event was read

  std::string dir_;
  std::chrono::milliseconds settle_, tick_;
  Callback callback_;
  concourse::log::Logger log_;
  int inotify_fd_ = -1;
  int stop_fd_ = -1;
  std::map<int, std::string> watches_;  // watch descriptor -> directory
  std::thread thread_;
};

}  // namespace concourse::worker
