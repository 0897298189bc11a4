/*
 * concourse/resource_type.h: the resource-type installer kind (CC_KIND_RESOURCE_TYPE_INSTALLER).
 * An installer finds bundled resource types in a directory (resource_metadata.json + rootfs) and
 * fills volumes the host prepared with them; the worker advertises them on its next heartbeat.
 *
 * Threading: discover runs on one thread at a time; install and verify may run concurrently for
 * different targets.
 */
#ifndef CONCOURSE_RESOURCE_TYPE_H
#define CONCOURSE_RESOURCE_TYPE_H

#include "concourse/plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CC_RT_FORMAT_ROOTFS_TGZ 1 /* rootfs.tgz */
#define CC_RT_FORMAT_ROOTFS_DIR 2 /* an unpacked rootfs directory */

/* One resource type found by discover. OWNER: whoever passes it; borrowed for the call. */
typedef struct cc_resource_type_entry {
  uint32_t struct_size;
  uint32_t format; /* CC_RT_FORMAT_* */
  cc_str type;
  cc_str version;
  uint32_t privileged;
  uint32_t unique_version_history;
  cc_str rootfs_path; /* absolute */
} cc_resource_type_entry;

typedef struct cc_resource_type_sink {
  uint32_t struct_size;
  uint32_t reserved;
  void *ctx;
  void (*add)(void *ctx, const cc_resource_type_entry *entry);
} cc_resource_type_sink;

/* Progress of an install: bytes done of total (0 = unknown). */
typedef void (*cc_progress_fn)(void *ctx, uint64_t done, uint64_t total);

typedef struct cc_installer_vtable {
  uint32_t struct_size;
  uint32_t reserved;
  cc_instance_create_fn instance_create;   /* required */
  cc_instance_destroy_fn instance_destroy; /* required */
  /* required. Lists the resource types found under dir (absolute). */
  int32_t (*discover)(cc_instance *inst, const cc_call_ctx *ctx, cc_str dir,
                      cc_resource_type_sink *out, cc_error *err);
  /* required. Fills target_dir (an empty directory the host made) with entry's rootfs. */
  int32_t (*install)(cc_instance *inst, const cc_call_ctx *ctx, const cc_resource_type_entry *entry,
                     cc_str target_dir, cc_progress_fn progress, void *progress_ctx,
                     cc_error *err);
  /* required. CC_OK when target_dir holds a complete install. */
  int32_t (*verify)(cc_instance *inst, const cc_call_ctx *ctx, cc_str target_dir,
                    cc_error *err);
} cc_installer_vtable;

#ifdef __cplusplus
}
#endif

#endif /* CONCOURSE_RESOURCE_TYPE_H */
