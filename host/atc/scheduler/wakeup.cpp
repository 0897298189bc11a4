#include "atc/scheduler/wakeup.hpp"

namespace concourse::atc::scheduler {

void Signal::notify() {
  {
    std::lock_guard lock(mu_);
    ++generation_;
  }
  cv_.notify_all();
}

void Signal::wait_for(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return generation_ != seen_; });
  seen_ = generation_;
}

Signal& check_signal() {
  static Signal s;
  return s;
}

Signal& schedule_signal() {
  static Signal s;
  return s;
}

}  // namespace concourse::atc::scheduler
