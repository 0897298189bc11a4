// The cc_host_api each loaded module receives: logging stamped with the plugin's identity, the
// clock, cancellation, process-exit notifications routed to the Garden server, and the safe tar
// helpers. One HostServices per module, at a stable address for the module's whole life.
#pragma once

#include <concourse/host.h>
#include <concourse/version.h>

#include <functional>
#include <mutex>
#include <string>
#include <string_view>

#include "core/log.hpp"

namespace concourse::core::plugin {

using ProcessExitFn = std::function<void(uint64_t token, int32_t exit_status, std::string_view)>;

class HostServices {
 public:
  HostServices(std::string path, ProcessExitFn on_exit, const cc_worker_api* worker);
  HostServices(const HostServices&) = delete;
  HostServices& operator=(const HostServices&) = delete;

  const cc_host_api* api() const { return &api_; }
  // Called once the descriptor is known, so later log lines say plugin=name@version.
  void set_identity(const std::string& name, const std::string& version);

 private:
  static void log(void* ctx, uint32_t level, cc_str msg, const cc_kv* fields, size_t n);
  static int32_t log_enabled(void* ctx, uint32_t level);
  static void* alloc(void* ctx, size_t size);
  static void free(void* ctx, void* ptr);
  static int64_t now_ns(void* ctx);
  static int32_t is_cancelled(void* ctx, const cc_call_ctx* call);
  static void register_secret(void* ctx, cc_str value);
  static void notify_process_exit(void* ctx, uint64_t token, int32_t status, cc_str error);
  static int32_t tar_extract(void* ctx, const cc_call_ctx* call, cc_str dest, int in_fd,
                             const cc_tar_opts* opts, cc_error* err);
  static int32_t tar_create(void* ctx, const cc_call_ctx* call, cc_str path, int out_fd,
                            const cc_tar_opts* opts, cc_error* err);

  concourse::log::Logger logger() const;

  mutable std::mutex mu_;
  concourse::log::Logger log_;
  ProcessExitFn on_exit_;
  cc_host_api api_{};
};

}  // namespace concourse::core::plugin
