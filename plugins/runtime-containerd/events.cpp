#include "events.hpp"

#include "github.com/containerd/containerd/api/events/task.pb.h"

namespace concourse::containerd {
namespace {
constexpr const char* kExitTopic = "/tasks/exit";
constexpr const char* kSyncTopic = "/concourse/events-sync";
}  // namespace

EventWatcher::EventWatcher(Client& client, ExitFn on_exit, SyncFn on_synced)
    : client_(client), on_exit_(std::move(on_exit)), on_synced_(std::move(on_synced)) {
  thread_ = std::thread([this] { loop(); });
}

EventWatcher::~EventWatcher() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    if (active_ != nullptr)
      active_->TryCancel();
  }
  cv_.notify_all();
  thread_.join();
}

bool EventWatcher::wait_synced(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return synced_; });
}

void EventWatcher::loop() {
  while (run_once()) {
    // The stream broke: containerd is down. Wait a little before re-subscribing (the channel
    // also waits for the socket to come back, see wait_for_ready below).
    std::unique_lock lock(mu_);
    if (cv_.wait_for(lock, std::chrono::milliseconds(100), [&] { return stopping_; }))
      return;
  }
}

bool EventWatcher::run_once() {
  grpc::ClientContext ctx;
  ctx.AddMetadata("containerd-namespace", client_.ns());
  ctx.set_wait_for_ready(true);
  {
    std::lock_guard lock(mu_);
    if (stopping_)
      return false;
    active_ = &ctx;
  }
  epb::SubscribeRequest req;
  req.add_filters(std::string("topic==\"") + kExitTopic + "\",namespace==\"" + client_.ns() + "\"");
  req.add_filters(std::string("topic==\"") + kSyncTopic + "\"");
  auto reader = client_.events().Subscribe(&ctx, req);
  // The marker comes back only through a live subscription, and a marker published before the
  // server registered us is lost: publish until one arrives (normally the first or second).
  std::atomic<bool> got_marker = false, done = false;
  std::thread marker([&] {
    while (!got_marker && !done) {
      try {
        client_.publish(kSyncTopic);
      } catch (const std::exception&) {
      }
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(50),
                   [&] { return stopping_ || got_marker.load(); });
      if (stopping_)
        return;
    }
  });
  ::containerd::services::events::v1::Envelope env;
  while (reader->Read(&env)) {
    if (env.topic() == kSyncTopic) {
      if (!got_marker) {
        got_marker = true;
        if (on_synced_)
          on_synced_();
        std::lock_guard lock(mu_);
        synced_ = true;
        cv_.notify_all();
      }
      continue;
    }
    ::containerd::events::TaskExit exit;
    if (env.topic() == kExitTopic && exit.ParseFromString(env.event().value())) {
      on_exit_({exit.container_id(), exit.id(), exit.exit_status()});
    }
  }
  done = true;
  reader->Finish();
  marker.join();
  std::lock_guard lock(mu_);
  active_ = nullptr;
  return !stopping_;
}

}  // namespace concourse::containerd
