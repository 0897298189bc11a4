// One thread that runs callbacks at their deadlines: it sleeps on a condition variable until the
// earliest one, so nothing polls. Callbacks run on that thread with no lock of ours held.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>

namespace concourse::worker::garden {

class TimerQueue {
 public:
  using Clock = std::chrono::steady_clock;

  TimerQueue() = default;
  ~TimerQueue();
  TimerQueue(const TimerQueue&) = delete;
  TimerQueue& operator=(const TimerQueue&) = delete;

  void start();
  // Joins the thread; pending callbacks are dropped. Idempotent.
  void stop();

  // Returns an id for cancel(); never 0.
  uint64_t schedule(Clock::time_point when, std::function<void()> fn);
  // False when the timer already ran (or is running) or never existed.
  bool cancel(uint64_t id);
  size_t pending() const;

 private:
  void run();

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::pair<Clock::time_point, uint64_t>, std::function<void()>> timers_;
  std::unordered_map<uint64_t, Clock::time_point> by_id_;
  uint64_t next_id_ = 1;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace concourse::worker::garden
