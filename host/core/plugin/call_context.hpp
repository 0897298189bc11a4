// The host side of a cc_call_ctx: a deadline and a cancel flag that host->is_cancelled() reads.
// Header-only so every server (Garden, Baggageclaim, health) can make one without a dependency.
#pragma once

#include <concourse/host.h>

#include <atomic>
#include <chrono>
#include <ctime>

namespace concourse::core::plugin {

inline int64_t monotonic_now_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

class CallContext {
 public:
  CallContext() { init(0); }
  explicit CallContext(std::chrono::nanoseconds timeout) {
    init(timeout.count() > 0 ? monotonic_now_ns() + timeout.count() : 0);
  }
  CallContext(const CallContext&) = delete;
  CallContext& operator=(const CallContext&) = delete;

  const cc_call_ctx* get() const noexcept { return &ctx_; }
  void cancel() noexcept { cancelled_.store(true, std::memory_order_release); }

  // What host->is_cancelled(ctx) answers: cancelled, or past the deadline.
  static bool is_cancelled(const cc_call_ctx* ctx) noexcept {
    if (ctx == nullptr || ctx->host_private == nullptr)
      return false;
    auto* self = static_cast<const CallContext*>(ctx->host_private);
    if (self->cancelled_.load(std::memory_order_acquire))
      return true;
    return ctx->deadline_ns != 0 && monotonic_now_ns() > ctx->deadline_ns;
  }

 private:
  void init(int64_t deadline) {
    ctx_.struct_size = sizeof(cc_call_ctx);
    ctx_.reserved = 0;
    ctx_.deadline_ns = deadline;
    ctx_.host_private = this;
  }
  cc_call_ctx ctx_{};
  std::atomic<bool> cancelled_{false};
};

}  // namespace concourse::core::plugin
