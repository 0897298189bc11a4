// In-process wake-ups between the API, the checker and the scheduler: a queued check request,
// a new version or a finished build wakes the loop that acts on it at once instead of at its
// next periodic pass. Other web nodes see the same change at their own next short re-read.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace concourse::atc::scheduler {

class Signal {
 public:
  void notify();
  // Returns when notified since this waiter's last wake-up or when the timeout passed.
  void wait_for(std::chrono::milliseconds timeout);

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t generation_ = 0, seen_ = 0;
};

// Process-wide: every web node in this process shares them (waking one too many is harmless).
Signal& check_signal();
Signal& schedule_signal();

}  // namespace concourse::atc::scheduler
