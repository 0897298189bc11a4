// Keeps container_destroy from overlapping any other call on the same handle, as the runtime ABI
// promises plugins. Calls on a handle enter the gate with their CallContext; a destroy cancels
// those contexts (a long stream gives up at once), waits for them to leave, and holds the handle
// exclusively until it is done. A second destroy of the same handle is refused, as in Garden.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>

#include "core/plugin/call_context.hpp"

namespace concourse::worker::garden {

class HandleGate {
 public:
  using CallContext = core::plugin::CallContext;

  class Use {
   public:
    Use(Use&& other) noexcept;
    Use& operator=(Use&&) = delete;
    ~Use();
    const cc_call_ctx* ctx() const { return ctx_->get(); }
    CallContext& context() { return *ctx_; }

   private:
    friend class HandleGate;
    Use(HandleGate* gate, std::string handle, std::unique_ptr<CallContext> ctx)
        : gate_(gate), handle_(std::move(handle)), ctx_(std::move(ctx)) {}
    HandleGate* gate_;
    std::string handle_;
    std::unique_ptr<CallContext> ctx_;
  };

  class Destroy {
   public:
    Destroy(Destroy&& other) noexcept;
    Destroy& operator=(Destroy&&) = delete;
    ~Destroy();
    const cc_call_ctx* ctx() const { return ctx_->get(); }

   private:
    friend class HandleGate;
    Destroy(HandleGate* gate, std::string handle, std::unique_ptr<CallContext> ctx)
        : gate_(gate), handle_(std::move(handle)), ctx_(std::move(ctx)) {}
    HandleGate* gate_;
    std::string handle_;
    std::unique_ptr<CallContext> ctx_;
  };

  // Waits while the handle is being destroyed. timeout 0 = no deadline. Throws GardenError 500
  // once the gate is closed (server stopping).
  Use enter(const std::string& handle, std::chrono::nanoseconds timeout);
  // nullopt when a destroy of this handle is already in flight.
  std::optional<Destroy> begin_destroy(const std::string& handle, std::chrono::nanoseconds timeout);
  // Cancels every call in flight and refuses new ones.
  void close();

 private:
  struct State {
    int uses = 0;
    bool destroying = false;
    std::set<CallContext*> calls;
  };
  void leave(const std::string& handle, CallContext* ctx);
  void end_destroy(const std::string& handle);
  void forget_if_idle(const std::string& handle);

  std::mutex mu_;
  std::condition_variable cv_;
  std::unordered_map<std::string, State> handles_;
  bool closed_ = false;
};

}  // namespace concourse::worker::garden
