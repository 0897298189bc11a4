/*
 * concourse/host.h: the services the worker offers to plugins (cc_host_api), and the per-call
 * context (cc_call_ctx).
 *
 * Threading: every function in cc_host_api is thread-safe and may be called from any plugin
 * thread, but never from a signal handler, and never after the plugin's instance_destroy (or,
 * for a module with no instance, after the host unloaded it) has returned.
 *
 * Growth: the host fills struct_size with the size of its own table. A plugin that wants a
 * function added after 1.0 checks CC_HOST_HAS(host, field) before calling it.
 */
#ifndef CONCOURSE_HOST_H
#define CONCOURSE_HOST_H

#include "concourse/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* True when the table `t` (which starts with struct_size) is large enough to hold `field`. */
#define CC_HAS_FIELD(t, type, field) \
  ((t) != NULL && (t)->struct_size >= offsetof(type, field) + sizeof(((type *)0)->field))
#define CC_HOST_HAS(host, field) CC_HAS_FIELD(host, cc_host_api, field)

/* Log levels (values are stable; unknown values are treated as INFO). */
#define CC_LOG_TRACE 0
#define CC_LOG_DEBUG 1
#define CC_LOG_INFO 2
#define CC_LOG_WARN 3
#define CC_LOG_ERROR 4

/*
 * Context of one blocking call. OWNER: the host; valid until the call returns.
 * deadline_ns: CLOCK_MONOTONIC nanoseconds (compare with host->now_ns()); 0 = no deadline.
 * A blocking call checks host->is_cancelled(ctx) at least every ~100 ms and returns
 * CC_E_CANCELLED when it says so.
 */
typedef struct cc_call_ctx {
  uint32_t struct_size;
  uint32_t reserved;
  int64_t deadline_ns;
  void *host_private; /* the host's; plugins must not touch it */
} cc_call_ctx;

/* Options for the host's tar helpers. OWNER: the caller. */
typedef struct cc_tar_opts {
  uint32_t struct_size;
  /* CC_TAR_* bits */
  uint32_t flags;
  /* For extraction: chown entries to uid/gid + their archived ids (0 = keep archived ids). */
  int64_t uid_shift;
  int64_t gid_shift;
} cc_tar_opts;
#define CC_TAR_PRESERVE_OWNER 0x1u /* extract: apply archived uid/gid (needs root) */

/*
 * Services a health probe or GC strategy uses to look at the worker itself. They go through the
 * worker's own HTTP servers, as Concourse's healthcheck does, so a probe sees what the ATC sees.
 * OWNER: the host; valid for the life of the instance.
 */
typedef struct cc_worker_api {
  uint32_t struct_size;
  void *ctx;
  /* GET /ping on the local Garden server. CC_OK when it answered at all (status not checked). */
  int32_t (*garden_ping)(void *ctx, const cc_call_ctx *call, cc_error *err);
  /* GET /containers on the local Garden server; each handle goes to out. */
  int32_t (*garden_list)(void *ctx, const cc_call_ctx *call, cc_str_sink *out, cc_error *err);
  /* GET /volumes on the local Baggageclaim server; each volume handle goes to out. */
  int32_t (*volumes_list)(void *ctx, const cc_call_ctx *call, cc_str_sink *out, cc_error *err);
  /* POST /volumes with an empty strategy; the new volume's path goes to path_out. */
  int32_t (*volume_create_empty)(void *ctx, const cc_call_ctx *call, cc_str handle,
                                 cc_str_sink *path_out, cc_error *err);
  /* DELETE /volumes/:handle; idempotent. */
  int32_t (*volume_destroy)(void *ctx, const cc_call_ctx *call, cc_str handle, cc_error *err);
  /* POST /containers with {"handle","rootfs"} (rootfs may be empty). */
  int32_t (*container_create)(void *ctx, const cc_call_ctx *call, cc_str handle, cc_str rootfs,
                              cc_error *err);
  /* DELETE /containers/:handle; idempotent. */
  int32_t (*container_destroy)(void *ctx, const cc_call_ctx *call, cc_str handle, cc_error *err);
} cc_worker_api;

/*
 * The host services table, passed to concourse_plugin_entry and to instance_create.
 * OWNER: the host; valid until the module is unloaded. Each loaded module receives its own table
 * (host_ctx identifies it), so log lines are stamped with plugin=name@version.
 */
typedef struct cc_host_api {
  uint32_t struct_size;
  uint32_t abi_major;
  uint32_t abi_minor;
  uint32_t reserved;
  /* The worker's version, NUL-terminated. */
  const char *host_version;
  /* Opaque; pass it back as the first argument of every function below. */
  void *host_ctx;

  /* Structured logging. fields: n borrowed pairs (component, handle, ...). */
  void (*log)(void *host_ctx, uint32_t level, cc_str message, const cc_kv *fields, size_t n);
  /* Nonzero when `level` would be written; check before building costly messages. */
  int32_t (*log_enabled)(void *host_ctx, uint32_t level);

  /* Allocation for the plugin's convenience; free only what alloc returned. */
  void *(*alloc)(void *host_ctx, size_t size);
  void (*free)(void *host_ctx, void *ptr);

  /* CLOCK_MONOTONIC nanoseconds. */
  int64_t (*now_ns)(void *host_ctx);
  /* Nonzero once the host gave up on the call that received ctx. */
  int32_t (*is_cancelled)(void *host_ctx, const cc_call_ctx *ctx);

  /* Hide this value (a credential) from every log line from now on. Copied. */
  void (*register_secret)(void *host_ctx, cc_str value);

  /*
   * Report the exit of a process started by process_run/process_attach. exactly once per
   * exit_token. May be called from any thread, even before process_run has returned: the host
   * prepares the token before it calls. exit_status is the exit code (128+N for signal N);
   * error is empty on a normal exit, or says why the process could not be waited for.
   */
  void (*notify_process_exit)(void *host_ctx, uint64_t exit_token, int32_t exit_status,
                              cc_str error);

  /*
   * Extract a tar stream read from in_fd into dest_dir (an absolute path to an existing
   * directory). Entries with "..", absolute names that escape after stripping "/", links or
   * paths through symlinks that escape dest_dir, and oversized headers are refused with
   * CC_E_INVALID before anything outside dest_dir is touched. in_fd is borrowed (not closed).
   */
  int32_t (*tar_extract)(void *host_ctx, const cc_call_ctx *ctx, cc_str dest_dir, int in_fd,
                         const cc_tar_opts *opts, cc_error *err);
  /*
   * Write a tar stream of `path` (absolute) to out_fd. A path ending in "/" (or "/.") archives
   * the directory's contents as "./..."; otherwise the entry is named after the path's last
   * component. CC_E_NOT_FOUND when path does not exist. out_fd is borrowed (not closed).
   */
  int32_t (*tar_create)(void *host_ctx, const cc_call_ctx *ctx, cc_str path, int out_fd,
                        const cc_tar_opts *opts, cc_error *err);

  /* The worker's own APIs, for probes and GC strategies. NULL in `concourse plugins verify`. */
  const cc_worker_api *worker;
} cc_host_api;

#ifdef __cplusplus
}
#endif

#endif /* CONCOURSE_HOST_H */
