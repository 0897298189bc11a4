#include "worker/garden/timer_queue.hpp"

namespace concourse::worker::garden {

TimerQueue::~TimerQueue() {
  stop();
}

void TimerQueue::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable())
    return;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void TimerQueue::stop() {
  std::thread t;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    t = std::move(thread_);
  }
  cv_.notify_all();
  if (t.joinable())
    t.join();
  // Callbacks can own objects whose destructors take other locks: drop them outside ours.
  decltype(timers_) dropped;
  {
    std::lock_guard lock(mu_);
    dropped.swap(timers_);
    by_id_.clear();
  }
}

uint64_t TimerQueue::schedule(Clock::time_point when, std::function<void()> fn) {
  uint64_t id = 0;
  bool earliest = false;
  {
    std::lock_guard lock(mu_);
    id = next_id_++;
    timers_.emplace(std::make_pair(when, id), std::move(fn));
    by_id_.emplace(id, when);
    earliest = timers_.begin()->first.second == id;
  }
  if (earliest)
    cv_.notify_all();
  return id;
}

bool TimerQueue::cancel(uint64_t id) {
  std::function<void()> dropped;
  std::lock_guard lock(mu_);
  auto it = by_id_.find(id);
  if (it == by_id_.end())
    return false;
  auto t = timers_.find(std::make_pair(it->second, id));
  if (t != timers_.end()) {
    dropped = std::move(t->second);
    timers_.erase(t);
  }
  by_id_.erase(it);
  return true;
}

size_t TimerQueue::pending() const {
  std::lock_guard lock(mu_);
  return timers_.size();
}

void TimerQueue::run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (timers_.empty()) {
      cv_.wait(lock);
      continue;
    }
    auto first = timers_.begin();
    // A copy: a cancel while we wait erases the node the deadline lives in.
    const Clock::time_point deadline = first->first.first;
    if (Clock::now() < deadline) {
      cv_.wait_until(lock, deadline);
      continue;
    }
    std::function<void()> fn = std::move(first->second);
    by_id_.erase(first->first.second);
    timers_.erase(first);
    lock.unlock();
    try {
      fn();
    } catch (...) {
      // Callbacks log their own failures; one bad timer must not stop the others.
    }
    fn = nullptr;
    lock.lock();
  }
}

}  // namespace concourse::worker::garden
