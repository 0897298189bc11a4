// The cc_worker_api that probes and GC strategies receive: it talks HTTP to this worker's own
// Garden and Baggageclaim servers on loopback, as Concourse's healthcheck does, so a probe sees
// exactly what the ATC would see (a wedged listener fails the probe even if the runtime is fine).
#pragma once

#include <concourse/host.h>

#include <cstdint>
#include <string>

namespace concourse::worker {

class LocalWorkerApi {
 public:
  LocalWorkerApi() = default;
  LocalWorkerApi(const LocalWorkerApi&) = delete;
  LocalWorkerApi& operator=(const LocalWorkerApi&) = delete;

  // Ports become known only after the servers bind, so they are set late.
  void set_endpoints(std::string garden_host, uint16_t garden_port, std::string bc_host,
                     uint16_t bc_port);
  const cc_worker_api* api() const { return &api_; }

 private:
  static int32_t garden_ping(void* ctx, const cc_call_ctx* call, cc_error* err);
  static int32_t garden_list(void* ctx, const cc_call_ctx* call, cc_str_sink* out, cc_error* err);
  static int32_t volumes_list(void* ctx, const cc_call_ctx* call, cc_str_sink* out, cc_error* err);
  static int32_t volume_create_empty(void* ctx, const cc_call_ctx* call, cc_str handle,
                                     cc_str_sink* path_out, cc_error* err);
  static int32_t volume_destroy(void* ctx, const cc_call_ctx* call, cc_str handle, cc_error* err);
  static int32_t container_create(void* ctx, const cc_call_ctx* call, cc_str handle, cc_str rootfs,
                                  cc_error* err);
  static int32_t container_destroy(void* ctx, const cc_call_ctx* call, cc_str handle,
                                   cc_error* err);

  std::string garden_host_ = "127.0.0.1";
  uint16_t garden_port_ = 0;
  std::string bc_host_ = "127.0.0.1";
  uint16_t bc_port_ = 0;
  cc_worker_api api_{sizeof(cc_worker_api), this,
                     &garden_ping,          &garden_list,
                     &volumes_list,         &volume_create_empty,
                     &volume_destroy,       &container_create,
                     &container_destroy};
};

}  // namespace concourse::worker
