// The events stream: one thread subscribed to containerd's /tasks/exit events, so process exits
// arrive without polling. When the stream breaks (containerd died or was restarted) it
// re-subscribes; once a marker event it published itself comes back, the subscription is known
// to be live and on_synced runs, so the owner can look up exits that happened while it was down.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "client.hpp"

namespace concourse::containerd {

struct TaskExitEvent {
  std::string container_id, exec_id;  // exec_id == container_id for the init process
  uint32_t exit_status = 0;
};

class EventWatcher {
 public:
  using ExitFn = std::function<void(const TaskExitEvent&)>;
  using SyncFn = std::function<void()>;

  EventWatcher(Client& client, ExitFn on_exit, SyncFn on_synced);
  ~EventWatcher();  // cancels the stream and joins
  EventWatcher(const EventWatcher&) = delete;
  EventWatcher& operator=(const EventWatcher&) = delete;

  // Blocks until the first subscription is live (or timeout); false on timeout.
  bool wait_synced(std::chrono::milliseconds timeout);

 private:
  void loop();
  bool run_once();  // one subscription; false when stopping

  Client& client_;
  ExitFn on_exit_;
  SyncFn on_synced_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool synced_ = false;
  grpc::ClientContext* active_ = nullptr;  // the live stream's context, to cancel it
  std::thread thread_;
};

}  // namespace concourse::containerd
