/*
 * concourse/credential.h: the credential manager kind (CC_KIND_CREDENTIAL_MANAGER), which resolves
 * ((vars)) for the ATC.
 *
 * CC_E_NOT_FOUND means "this manager has no such path": the ATC may try the next manager.
 * CC_E_UNAVAILABLE means "the backend is down": the ATC must fail the lookup rather than fall
 * through, or a lower-priority manager could shadow the real secret.
 *
 * Threading: lookup and health may run concurrently with each other and themselves.
 */
#ifndef CONCOURSE_CREDENTIAL_H
#define CONCOURSE_CREDENTIAL_H

#include "concourse/plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Where a lookup happens. OWNER: the host; borrowed. pipeline is empty for team-level vars. */
typedef struct cc_cred_scope {
  uint32_t struct_size;
  uint32_t reserved;
  cc_str team;
  cc_str pipeline;
} cc_cred_scope;

/*
 * Receives a found value. The host copies the value into its own memory and registers it for
 * redaction before returning; the plugin then zeroes its own copy. ttl_ns 0 = do not cache.
 */
typedef struct cc_cred_sink {
  uint32_t struct_size;
  uint32_t reserved;
  void *ctx;
  void (*set_value)(void *ctx, cc_str value, int64_t ttl_ns);
} cc_cred_sink;

typedef struct cc_credential_vtable {
  uint32_t struct_size;
  uint32_t reserved;
  cc_instance_create_fn instance_create;   /* required */
  cc_instance_destroy_fn instance_destroy; /* required */
  /* required. path is the var path ("foo.bar" for ((foo.bar))). */
  int32_t (*lookup)(cc_instance *creds, const cc_call_ctx *ctx, const cc_cred_scope *scope,
                    cc_str path, cc_cred_sink *out, cc_error *err);
  /* required. CC_OK when the backend answers. */
  int32_t (*health)(cc_instance *creds, const cc_call_ctx *ctx, cc_error *err);
} cc_credential_vtable;

#ifdef __cplusplus
}
#endif

#endif /* CONCOURSE_CREDENTIAL_H */
