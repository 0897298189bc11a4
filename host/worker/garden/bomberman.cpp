#include "worker/garden/bomberman.hpp"

namespace concourse::worker::garden {

Bomberman::Bomberman(Detonate detonate) : detonate_(std::move(detonate)) {}

Bomberman::~Bomberman() {
  stop();
}

void Bomberman::start() {
  timers_.start();
}

void Bomberman::stop() {
  timers_.stop();
}

void Bomberman::strap(const std::string& handle, std::chrono::nanoseconds grace) {
  std::lock_guard lock(mu_);
  auto [it, inserted] = entries_.try_emplace(handle);
  if (inserted)
    it->second.identity = next_generation_++;
  it->second.grace = grace;
  rearm_locked(handle, it->second);
}

void Bomberman::defuse(const std::string& handle) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(handle);
  if (it == entries_.end())
    return;
  disarm_locked(it->second);
  entries_.erase(it);
}

void Bomberman::touch(const std::string& handle) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(handle);
  if (it != entries_.end() && it->second.holds == 0)
    rearm_locked(handle, it->second);
}

Bomberman::Hold Bomberman::hold(const std::string& handle) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(handle);
  if (it == entries_.end())
    return Hold();
  ++it->second.holds;
  disarm_locked(it->second);
  return Hold(this, handle, it->second.identity);
}

void Bomberman::unhold(const std::string& handle, uint64_t identity) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(handle);
  if (it == entries_.end() || it->second.identity != identity || it->second.holds == 0)
    return;
  if (--it->second.holds == 0)
    rearm_locked(handle, it->second);
}

std::optional<std::chrono::nanoseconds> Bomberman::grace_of(const std::string& handle) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(handle);
  if (it == entries_.end())
    return std::nullopt;
  return it->second.grace;
}

bool Bomberman::counting_down(const std::string& handle) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(handle);
  return it != entries_.end() && it->second.armed != 0;
}

void Bomberman::rearm_locked(const std::string& handle, Entry& e) {
  disarm_locked(e);
  if (e.grace.count() <= 0 || e.holds > 0)
    return;
  uint64_t generation = next_generation_++;
  e.armed = generation;
  e.timer = timers_.schedule(TimerQueue::Clock::now() + e.grace,
                             [this, handle, generation] { fire(handle, generation); });
}

void Bomberman::disarm_locked(Entry& e) {
  if (e.timer != 0)
    timers_.cancel(e.timer);
  e.timer = 0;
  e.armed = 0;
}

void Bomberman::fire(const std::string& handle, uint64_t generation) {
  std::chrono::nanoseconds grace{0};
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(handle);
    // A touch or hold that raced the timer wins: the countdown it replaced is stale.
    if (it == entries_.end() || it->second.armed != generation || it->second.holds > 0)
      return;
    it->second.armed = 0;
    it->second.timer = 0;
    grace = it->second.grace;
  }
  detonate_(handle, grace);
}

Bomberman::Hold::Hold(Hold&& other) noexcept
    : owner_(other.owner_), handle_(std::move(other.handle_)), identity_(other.identity_) {
  other.owner_ = nullptr;
}

Bomberman::Hold& Bomberman::Hold::operator=(Hold&& other) noexcept {
  if (this != &other) {
    release();
    owner_ = other.owner_;
    handle_ = std::move(other.handle_);
    identity_ = other.identity_;
    other.owner_ = nullptr;
  }
  return *this;
}

Bomberman::Hold::~Hold() {
  release();
}

void Bomberman::Hold::release() {
  if (owner_ != nullptr)
    owner_->unhold(handle_, identity_);
  owner_ = nullptr;
}

}  // namespace concourse::worker::garden
