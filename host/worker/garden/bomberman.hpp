// Grace-time reaping as Garden's server does it ("bomberman"): a container whose grace time
// passes with no API activity on it is destroyed. Each request naming a handle holds it (the
// countdown is paused) and restarts the countdown when it ends; running processes, attached
// streams and file streams hold it for as long as they last.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "worker/garden/timer_queue.hpp"

namespace concourse::worker::garden {

class Bomberman {
 public:
  // Runs on the reaper thread with no lock held.
  using Detonate = std::function<void(const std::string& handle, std::chrono::nanoseconds grace)>;

  explicit Bomberman(Detonate detonate);
  ~Bomberman();
  Bomberman(const Bomberman&) = delete;
  Bomberman& operator=(const Bomberman&) = delete;

  void start();
  void stop();

  // Tracks the handle with this grace time (0 = never) and restarts its countdown; keeps the
  // holds it already has.
  void strap(const std::string& handle, std::chrono::nanoseconds grace);
  void defuse(const std::string& handle);
  // Activity: restarts the countdown unless something holds the handle.
  void touch(const std::string& handle);

  // Pauses the countdown while alive; restarts it when released. A no-op for untracked handles.
  class Hold {
   public:
    Hold() = default;
    Hold(Hold&& other) noexcept;
    Hold& operator=(Hold&& other) noexcept;
    ~Hold();
    void release();

   private:
    friend class Bomberman;
    Hold(Bomberman* owner, std::string handle, uint64_t identity)
        : owner_(owner), handle_(std::move(handle)), identity_(identity) {}
    Bomberman* owner_ = nullptr;
    std::string handle_;
    uint64_t identity_ = 0;
  };
  Hold hold(const std::string& handle);

  // For tests and logs: the tracked grace, and whether a countdown is running.
  std::optional<std::chrono::nanoseconds> grace_of(const std::string& handle) const;
  bool counting_down(const std::string& handle) const;

 private:
  struct Entry {
    std::chrono::nanoseconds grace{0};
    int holds = 0;
    uint64_t identity = 0;  // distinguishes a re-created container with the same handle
    uint64_t armed = 0;     // generation of the pending countdown; 0 = none
    uint64_t timer = 0;
  };
  void rearm_locked(const std::string& handle, Entry& e);
  void disarm_locked(Entry& e);
  void unhold(const std::string& handle, uint64_t identity);
  void fire(const std::string& handle, uint64_t generation);

  Detonate detonate_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
  uint64_t next_generation_ = 1;
  TimerQueue timers_;
};

}  // namespace concourse::worker::garden
