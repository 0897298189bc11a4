#include "worker/garden/handle_gate.hpp"

#include "worker/garden/garden_error.hpp"

namespace concourse::worker::garden {

HandleGate::Use HandleGate::enter(const std::string& handle, std::chrono::nanoseconds timeout) {
  auto ctx = std::make_unique<CallContext>(timeout);
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] {
    auto it = handles_.find(handle);
    return closed_ || it == handles_.end() || !it->second.destroying;
  });
  if (closed_)
    throw internal_error("garden server is stopping");
  State& s = handles_[handle];
  ++s.uses;
  s.calls.insert(ctx.get());
  return Use(this, handle, std::move(ctx));
}

std::optional<HandleGate::Destroy> HandleGate::begin_destroy(const std::string& handle,
                                                             std::chrono::nanoseconds timeout) {
  auto ctx = std::make_unique<CallContext>(timeout);
  std::unique_lock lock(mu_);
  if (closed_)
    throw internal_error("garden server is stopping");
  State& s = handles_[handle];
  if (s.destroying)
    return std::nullopt;
  s.destroying = true;
  for (CallContext* c : s.calls)
    c->cancel();
  cv_.wait(lock, [&] { return closed_ || handles_[handle].uses == 0; });
  if (closed_) {
    handles_[handle].destroying = false;
    forget_if_idle(handle);
    cv_.notify_all();
    throw internal_error("garden server is stopping");
  }
  return Destroy(this, handle, std::move(ctx));
}

void HandleGate::close() {
  std::lock_guard lock(mu_);
  closed_ = true;
  for (auto& [handle, s] : handles_) {
    for (CallContext* c : s.calls)
      c->cancel();
  }
  cv_.notify_all();
}

void HandleGate::leave(const std::string& handle, CallContext* ctx) {
  std::lock_guard lock(mu_);
  auto it = handles_.find(handle);
  if (it == handles_.end())
    return;
  it->second.calls.erase(ctx);
  if (--it->second.uses == 0)
    cv_.notify_all();
  forget_if_idle(handle);
}

void HandleGate::end_destroy(const std::string& handle) {
  std::lock_guard lock(mu_);
  auto it = handles_.find(handle);
  if (it == handles_.end())
    return;
  it->second.destroying = false;
  forget_if_idle(handle);
  cv_.notify_all();
}

void HandleGate::forget_if_idle(const std::string& handle) {
  auto it = handles_.find(handle);
  if (it != handles_.end() && it->second.uses == 0 && !it->second.destroying)
    handles_.erase(it);
}

HandleGate::Use::Use(Use&& other) noexcept
    : gate_(other.gate_), handle_(std::move(other.handle_)), ctx_(std::move(other.ctx_)) {
  other.gate_ = nullptr;
}

HandleGate::Use::~Use() {
  if (gate_ != nullptr)
    gate_->leave(handle_, ctx_.get());
}

HandleGate::Destroy::Destroy(Destroy&& other) noexcept
    : gate_(other.gate_), handle_(std::move(other.handle_)), ctx_(std::move(other.ctx_)) {
  other.gate_ = nullptr;
}

HandleGate::Destroy::~Destroy() {
  if (gate_ != nullptr)
    gate_->end_destroy(handle_);
}

}  // namespace concourse::worker::garden
