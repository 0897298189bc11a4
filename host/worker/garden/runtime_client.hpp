// The runtime plugin's vtable seen from the Garden server: one method per slot, each checking
// that the slot exists (struct_size and NULL) and that its capability bit is set before calling,
// and turning a failed call into the GardenError the route answers with.
#pragma once

#include <concourse/runtime.h>

#include <chrono>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "worker/garden/server.hpp"
#include "worker/garden/wire.hpp"

namespace concourse::worker::garden {

class RuntimeClient {
 public:
  // Throws std::invalid_argument when the binding has no vtable or instance.
  explicit RuntimeClient(RuntimeBinding binding);

  const std::string& name() const { return binding_.name; }
  bool has_capability(uint64_t bit) const { return (binding_.capabilities & bit) == bit; }
  // True when the slot named by `op` can be called (capability and slot present).
  bool can_resize_tty() const;
  bool can_attach_after_restart() const;

  void ping(const cc_call_ctx* ctx);
  cc_capacity capacity(const cc_call_ctx* ctx);
  void create(const cc_call_ctx* ctx, const cc_container_spec& spec);
  void destroy(const cc_call_ctx* ctx, const std::string& handle);
  void stop(const cc_call_ctx* ctx, const std::string& handle, bool kill);
  std::vector<std::string> list(const cc_call_ctx* ctx,
                                const std::vector<std::pair<std::string, std::string>>& filter);
  ContainerInfoData info(const cc_call_ctx* ctx, const std::string& handle);
  // false only when the runtime says the handle is unknown.
  bool exists(const cc_call_ctx* ctx, const std::string& handle);
  cc_container_metrics metrics(const cc_call_ctx* ctx, const std::string& handle);
  void require_metrics() const;
  std::map<std::string, std::string> properties(const cc_call_ctx* ctx, const std::string& handle);
  std::string property(const cc_call_ctx* ctx, const std::string& handle, const std::string& key);
  void set_property(const cc_call_ctx* ctx, const std::string& handle, const std::string& key,
                    const std::string& value);
  void remove_property(const cc_call_ctx* ctx, const std::string& handle, const std::string& key);
  void set_grace_time(const cc_call_ctx* ctx, const std::string& handle, int64_t ns);
  cc_limits limits(const cc_call_ctx* ctx, const std::string& handle);
  cc_net_in net_in(const cc_call_ctx* ctx, const std::string& handle, uint32_t host_port,
                   uint32_t container_port);
  void require_net_out() const;
  void net_out(const cc_call_ctx* ctx, const std::string& handle, const cc_net_out_rule& rule);

  struct Started {
    cc_process* process = nullptr;
    cc_process_io io{};
  };
  Started run(const cc_call_ctx* ctx, const std::string& handle, const cc_process_spec& spec,
              uint64_t exit_token);
  void require_tty() const;
  // CC_E_NOT_FOUND becomes ProcessNotFoundError (or ContainerNotFoundError for the handle).
  Started attach(const cc_call_ctx* ctx, const std::string& handle, const std::string& process_id,
                 uint64_t exit_token);
  void signal(cc_process* process, int32_t signal);
  void resize_tty(cc_process* process, cc_tty_size size);
  void release(cc_process* process) noexcept;

  void stream_in(const cc_call_ctx* ctx, const std::string& handle, const std::string& path,
                 const std::string& user, int in_fd);
  void stream_out(const cc_call_ctx* ctx, const std::string& handle, const std::string& path,
                  const std::string& user, int out_fd);

 private:
  // What a CC_E_NOT_FOUND from the slot refers to.
  enum class NotFound { Handle, HandleOrKey, HandleOrExecutable, HandleOrProcess };

  template <typename Fn>
  void invoke(const char* op, const cc_call_ctx* ctx, const std::string& handle, NotFound nf,
              Fn&& fn, const std::string& subject = {});
  [[noreturn]] void fail(const char* op, const cc_call_ctx* ctx, int32_t rc, const cc_error& err,
                         const std::string& handle, NotFound nf, const std::string& subject);

  RuntimeBinding binding_;
  const cc_runtime_vtable* vt_;
  cc_instance* rt_;
};

}  // namespace concourse::worker::garden
