/*
 * concourse/gc.h: the GC strategy kind (CC_KIND_GC_STRATEGY). A strategy decides; it never
 * deletes. The host executes decisions and never removes what the ATC still references.
 *
 * Threading: plan runs on one host thread at a time per instance; describe may run concurrently.
 */
#ifndef CONCOURSE_GC_H
#define CONCOURSE_GC_H

#include "concourse/plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CC_GC_OBJECT_CONTAINER 1
#define CC_GC_OBJECT_VOLUME 2

/* One container or volume the worker holds. OWNER: the host; borrowed for the call. */
typedef struct cc_gc_object {
  uint32_t struct_size;
  uint32_t kind; /* CC_GC_OBJECT_* */
  cc_str handle;
  cc_str state; /* "created", "destroying", ... as the ATC reports it; empty if unknown */
  int64_t created_at_ns; /* CLOCK_REALTIME */
  int64_t last_used_ns;  /* CLOCK_REALTIME, 0 = unknown */
  uint64_t bytes;
  int64_t ttl_ns; /* 0 = none */
  const cc_kv *properties;
  size_t property_count;
  uint32_t is_cache;      /* a resource or task cache volume */
  uint32_t referenced;    /* the ATC still references it: never proposed for removal */
  int64_t build_id;       /* 0 = none */
} cc_gc_object;

typedef struct cc_gc_snapshot {
  uint32_t struct_size;
  uint32_t reserved;
  const cc_gc_object *const *objects;
  size_t object_count;
  uint64_t disk_total_bytes;
  uint64_t disk_free_bytes;
  uint64_t inodes_total;
  uint64_t inodes_free;
  int64_t now_ns; /* CLOCK_REALTIME */
} cc_gc_snapshot;

/* Decisions: "remove (kind, handle) because reason". Copied by the host during the call. */
typedef struct cc_gc_decision_sink {
  uint32_t struct_size;
  uint32_t reserved;
  void *ctx;
  void (*remove)(void *ctx, uint32_t kind, cc_str handle, cc_str reason);
} cc_gc_decision_sink;

typedef struct cc_gc_vtable {
  uint32_t struct_size;
  uint32_t reserved;
  cc_instance_create_fn instance_create;   /* required */
  cc_instance_destroy_fn instance_destroy; /* required */
  /* required. Proposes removals for this snapshot. */
  int32_t (*plan)(cc_instance *gc, const cc_call_ctx *ctx, const cc_gc_snapshot *snapshot,
                  cc_gc_decision_sink *out, cc_error *err);
  /* required. One or more lines describing the policy (for `concourse plugins inspect`). */
  int32_t (*describe)(cc_instance *gc, cc_str_sink *out, cc_error *err);
} cc_gc_vtable;

#ifdef __cplusplus
}
#endif

#endif /* CONCOURSE_GC_H */
