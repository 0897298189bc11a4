/*
 * concourse/probe.h: the health probe kind (CC_KIND_HEALTH_PROBE). The worker's :8888 endpoint
 * answers 200 only when every enabled probe reports CC_PROBE_OK within --healthcheck-timeout.
 *
 * Threading: probe may run concurrently with itself (two health requests at once).
 * A probe that creates test objects (a deep probe creating a volume and a container through
 * host->worker) removes them before returning, also on failure.
 */
#ifndef CONCOURSE_PROBE_H
#define CONCOURSE_PROBE_H

#include "concourse/plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CC_PROBE_OK 0
#define CC_PROBE_DEGRADED 1 /* still healthy for the endpoint, but logged at warn */
#define CC_PROBE_FAIL 2

#define CC_PROBE_MESSAGE_MAX 256

/* Output of probe. OWNER: the caller; it sets struct_size, the plugin fills the rest. */
typedef struct cc_probe_result {
  uint32_t struct_size;
  uint32_t status;
  char message[CC_PROBE_MESSAGE_MAX]; /* NUL-terminated */
} cc_probe_result;

typedef struct cc_probe_vtable {
  uint32_t struct_size;
  uint32_t reserved;
  cc_instance_create_fn instance_create;   /* required */
  cc_instance_destroy_fn instance_destroy; /* required */
  /*
   * required. Runs one check, honouring ctx->deadline_ns. Returns CC_OK when the probe ran
   * (whatever its verdict, which goes to out->status); an error code when it could not run.
   */
  int32_t (*probe)(cc_instance *probe, const cc_call_ctx *ctx, cc_probe_result *out,
                   cc_error *err);
} cc_probe_vtable;

#ifdef __cplusplus
}
#endif

#endif /* CONCOURSE_PROBE_H */
