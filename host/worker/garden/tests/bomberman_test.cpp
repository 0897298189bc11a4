#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "worker/garden/bomberman.hpp"
#include "worker/garden/garden_error.hpp"
#include "worker/garden/handle_gate.hpp"
#include "worker/garden/timer_queue.hpp"

namespace concourse::worker::garden {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Records detonations and lets a test wait for one.
class Detonations {
 public:
  Bomberman::Detonate callback() {
    return [this](const std::string& h, std::chrono::nanoseconds) {
      std::lock_guard lock(mu_);
      handles_.push_back(h);
      cv_.notify_all();
    };
  }
  bool wait_for(const std::string& h, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] {
      for (const auto& x : handles_) {
        if (x == h)
          return true;
      }
      return false;
    });
  }
  size_t count() {
    std::lock_guard lock(mu_);
    return handles_.size();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> handles_;
};

TEST(TimerQueue, RunsInDeadlineOrderAndCancels) {
  TimerQueue q;
  q.start();
  std::mutex mu;
  std::condition_variable cv;
  std::vector<int> order;
  auto add = [&](int v) {
    return [&, v] {
      std::lock_guard lock(mu);
      order.push_back(v);
      cv.notify_all();
    };
  };
  auto now = Clock::now();
  q.schedule(now + 60ms, add(3));
  q.schedule(now + 20ms, add(1));
  uint64_t cancelled = q.schedule(now + 40ms, add(2));
  EXPECT_TRUE(q.cancel(cancelled));
  EXPECT_FALSE(q.cancel(cancelled));
  std::unique_lock lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, 5s, [&] { return order.size() == 2; }));
  EXPECT_EQ(order, (std::vector<int>{1, 3}));
  lock.unlock();
  q.stop();
}

TEST(Bomberman, DetonatesAfterTheGraceTime) {
  Detonations d;
  Bomberman b(d.callback());
  b.start();
  auto t0 = Clock::now();
  b.strap("h", 100ms);
  EXPECT_TRUE(b.counting_down("h"));
  ASSERT_TRUE(d.wait_for("h", 5s));
  EXPECT_GE(Clock::now() - t0, 100ms);
  b.stop();
}

TEST(Bomberman, ZeroNeverDetonatesAndHoldsPause) {
  Detonations d;
  Bomberman b(d.callback());
  b.start();
  b.strap("never", 0ns);
  EXPECT_FALSE(b.counting_down("never"));
  b.strap("held", 50ms);
  {
    auto hold = b.hold("held");
    EXPECT_FALSE(b.counting_down("held"));
    auto second = b.hold("held");
  }
  EXPECT_TRUE(b.counting_down("held"));
  ASSERT_TRUE(d.wait_for("held", 5s));
  EXPECT_EQ(d.count(), 1u);
  b.stop();
}

TEST(Bomberman, TouchRestartsTheCountdownAndDefuseForgets) {
  Detonations d;
  Bomberman b(d.callback());
  b.start();
  b.strap("h", 400ms);
  auto t0 = Clock::now();
  // Each touch lands well inside the grace time, so nothing may fire while we keep touching.
  while (Clock::now() - t0 < 1s) {
    b.touch("h");
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(d.count(), 0u);
  ASSERT_TRUE(d.wait_for("h", 5s));

  b.strap("gone", 30ms);
  b.defuse("gone");
  EXPECT_FALSE(b.grace_of("gone").has_value());
  b.strap("after", 60ms);
  ASSERT_TRUE(d.wait_for("after", 5s));
  EXPECT_EQ(d.count(), 2u);  // "gone" never fired, "after" fired after it would have
  b.stop();
}

TEST(Bomberman, HoldOfARecreatedHandleDoesNotLeak) {
  Detonations d;
  Bomberman b(d.callback());
  b.start();
  b.strap("h", 50ms);
  auto stale = b.hold("h");
  b.defuse("h");
  b.strap("h", 50ms);
  stale.release();  // belongs to the old container: must not unpause the new one twice
  auto fresh = b.hold("h");
  EXPECT_FALSE(b.counting_down("h"));
  fresh.release();
  EXPECT_TRUE(b.counting_down("h"));
  b.stop();
}

TEST(HandleGate, DestroyWaitsForCallsCancelsThemAndRefusesASecondDestroy) {
  HandleGate gate;
  auto use = std::make_unique<HandleGate::Use>(gate.enter("h", 0ns));
  const cc_call_ctx* ctx = use->ctx();
  std::atomic<bool> destroying{false};
  std::thread destroyer([&] {
    auto d = gate.begin_destroy("h", 0ns);
    ASSERT_TRUE(d.has_value());
    destroying = true;
    // While this destroy holds the handle, a second one is refused.
    EXPECT_FALSE(gate.begin_destroy("h", 0ns).has_value());
  });
  // The destroy cancels the call in flight before waiting for it to leave.
  auto deadline = Clock::now() + 5s;
  while (!core::plugin::CallContext::is_cancelled(ctx) && Clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_TRUE(core::plugin::CallContext::is_cancelled(ctx));
  EXPECT_FALSE(destroying.load());
  use.reset();
  destroyer.join();
  EXPECT_TRUE(destroying.load());
  auto again = gate.enter("h", 0ns);  // the destroy is over: calls may enter again
  gate.close();
  EXPECT_THROW(gate.enter("other", 0ns), GardenError);
}

}  // namespace
}  // namespace concourse::worker::garden
