// A runtime plugin without the .so: a C++ object whose static thunks fill a cc_runtime_vtable.
// Containers are directories under a temp dir; processes are real (posix_spawn with pipes or a
// pty), reaped by a waiter thread that reports exits through the notify callback, exactly as a
// plugin calls host->notify_process_exit.
#pragma once

#include <concourse/runtime.h>
#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "worker/garden/server.hpp"

namespace concourse::worker::garden::testing {

inline constexpr uint64_t kFakeCapabilities = CC_RT_CAP_NET_IN | CC_RT_CAP_NET_OUT |
                                              CC_RT_CAP_METRICS | CC_RT_CAP_TTY |
                                              CC_RT_CAP_LIMIT_MEMORY | CC_RT_CAP_LIMIT_CPU;

class FakeRuntime {
 public:
  using Notify = std::function<void(uint64_t token, int32_t status, std::string_view error)>;

  explicit FakeRuntime(uint64_t capabilities = kFakeCapabilities);
  ~FakeRuntime();
  FakeRuntime(const FakeRuntime&) = delete;
  FakeRuntime& operator=(const FakeRuntime&) = delete;

  RuntimeBinding binding();
  // The table handed to the server; tests may NULL slots or shrink struct_size before binding().
  cc_runtime_vtable& vtable() { return vt_; }
  // Setting nullptr waits until no notification is in flight.
  void set_notify(Notify notify);

  // Introspection.
  bool has_container(const std::string& handle);
  std::string container_dir(const std::string& handle);
  int64_t grace_of(const std::string& handle);
  std::vector<std::string> calls();  // slot names, in call order
  size_t count_calls(std::string_view slot);
  size_t released();
  size_t live_processes();
  size_t misuse();  // slots called with a released process
  std::string last_process_env(std::string_view key);

  // Makes container_destroy block until release_destroys(); destroys_entered() counts arrivals.
  void block_destroys();
  void release_destroys();
  size_t destroys_entered();
  // Makes stream_out write this many bytes of 'x' before failing (CC_E_INTERNAL).
  void fail_stream_out_after(size_t bytes);

 private:
  struct Container {
    std::string dir;
    std::map<std::string, std::string> properties;
    std::vector<std::string> env;
    int64_t grace_ns = 0;
    cc_limits limits{};
    std::vector<std::pair<uint32_t, uint32_t>> mapped_ports;
    size_t net_out_rules = 0;
  };
  struct Process {
    std::string handle;
    std::string id;
    pid_t pid = -1;
    uint64_t token = 0;
    bool exited = false;
    int32_t status = 0;
    bool released = false;
  };

  static FakeRuntime* self(cc_instance* rt) { return reinterpret_cast<FakeRuntime*>(rt); }
  void record(const char* slot);
  void notify(uint64_t token, int32_t status);
  int32_t spawn(const std::string& handle, const cc_process_spec* spec, uint64_t token,
                cc_process** out, cc_process_io* io, cc_error* err);
  void wait_for(Process* p);

  static int32_t ping(cc_instance*, const cc_call_ctx*, cc_error*);
  static int32_t capacity(cc_instance*, const cc_call_ctx*, cc_capacity*, cc_error*);
  static int32_t create(cc_instance*, const cc_call_ctx*, const cc_container_spec*, cc_error*);
  static int32_t destroy(cc_instance*, const cc_call_ctx*, cc_str, cc_error*);
  static int32_t stop(cc_instance*, const cc_call_ctx*, cc_str, uint32_t, cc_error*);
  static int32_t list(cc_instance*, const cc_call_ctx*, const cc_kv*, size_t, cc_str_sink*,
                      cc_error*);
  static int32_t info(cc_instance*, const cc_call_ctx*, cc_str, cc_container_info_sink*, cc_error*);
  static int32_t metrics(cc_instance*, const cc_call_ctx*, cc_str, cc_container_metrics*,
                         cc_error*);
  static int32_t properties_get(cc_instance*, const cc_call_ctx*, cc_str, cc_kv_sink*, cc_error*);
  static int32_t property_get(cc_instance*, const cc_call_ctx*, cc_str, cc_str, cc_str_sink*,
                              cc_error*);
  static int32_t property_set(cc_instance*, const cc_call_ctx*, cc_str, cc_str, cc_str, cc_error*);
  static int32_t property_remove(cc_instance*, const cc_call_ctx*, cc_str, cc_str, cc_error*);
  static int32_t set_grace_time(cc_instance*, const cc_call_ctx*, cc_str, int64_t, cc_error*);
  static int32_t limits_get(cc_instance*, const cc_call_ctx*, cc_str, cc_limits*, cc_error*);
  static int32_t net_in(cc_instance*, const cc_call_ctx*, cc_str, uint32_t, uint32_t, cc_net_in*,
                        cc_error*);
  static int32_t net_out(cc_instance*, const cc_call_ctx*, cc_str, const cc_net_out_rule*,
                         cc_error*);
  static int32_t process_run(cc_instance*, const cc_call_ctx*, cc_str, const cc_process_spec*,
                             uint64_t, cc_process**, cc_process_io*, cc_error*);
  static int32_t process_attach(cc_instance*, const cc_call_ctx*, cc_str, cc_str, uint64_t,
                                cc_process**, cc_process_io*, cc_error*);
  static int32_t process_signal(cc_instance*, cc_process*, int32_t, cc_error*);
  static int32_t process_resize_tty(cc_instance*, cc_process*, cc_tty_size, cc_error*);
  static int32_t process_wait(cc_instance*, const cc_call_ctx*, cc_process*, int32_t*, cc_error*);
  static void process_release(cc_instance*, cc_process*);
  static int32_t stream_in(cc_instance*, const cc_call_ctx*, cc_str, cc_str, cc_str, int,
                           cc_error*);
  static int32_t stream_out(cc_instance*, const cc_call_ctx*, cc_str, cc_str, cc_str, int,
                            cc_error*);

  cc_runtime_vtable vt_{};
  uint64_t capabilities_;
  std::string root_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Container> containers_;
  std::vector<std::unique_ptr<Process>> processes_;
  std::vector<std::thread> waiters_;
  std::vector<std::string> calls_;
  std::map<std::string, std::string> last_env_;
  size_t misuse_ = 0;
  bool block_destroys_ = false;
  size_t destroys_entered_ = 0;
  size_t fail_stream_out_after_ = SIZE_MAX;
  uint32_t next_port_ = 61000;

  std::mutex notify_mu_;
  Notify notify_;
};

}  // namespace concourse::worker::garden::testing
