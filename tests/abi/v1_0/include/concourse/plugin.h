/*
 * concourse/plugin.h: the entry point every plugin exports and the descriptor it returns.
 *
 * A plugin is a shared object exporting exactly one symbol:
 *
 *   const cc_plugin_descriptor *concourse_plugin_entry(const cc_host_api *host, cc_error *err);
 *
 * Trust model: plugins run in the worker process. The host refuses, with one log line naming the
 * path and the reason, any plugin whose descriptor it cannot validate, and keeps loading the
 * others; `concourse plugins verify` runs the entry in a child process first, so even a plugin
 * that crashes in its entry cannot take the worker down.
 *
 * Threading: concourse_plugin_entry, instance_create and instance_destroy run on the host's
 * loader thread, one at a time. Every other vtable slot may run concurrently on any host thread
 * unless the descriptor sets CC_PLUGIN_SERIALIZED. A plugin that starts threads joins them in
 * instance_destroy (or sets CC_PLUGIN_NO_UNLOAD). Never fork() without an immediate exec: the host
 * is multithreaded.
 */
#ifndef CONCOURSE_PLUGIN_H
#define CONCOURSE_PLUGIN_H

#include "concourse/host.h"
#include "concourse/status.h"
#include "concourse/version.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Plugin kinds (cc_plugin_descriptor.kind). */
#define CC_KIND_RUNTIME 1
#define CC_KIND_HEALTH_PROBE 2
#define CC_KIND_GC_STRATEGY 3
#define CC_KIND_CREDENTIAL_MANAGER 4
#define CC_KIND_RESOURCE_TYPE_INSTALLER 5

/* Descriptor flags. */
#define CC_PLUGIN_NO_UNLOAD 0x1u  /* never dlclose (Go runtimes, leftover threads, TLS dtors) */
#define CC_PLUGIN_SERIALIZED 0x2u /* the host calls this plugin's slots one at a time */

/* An opaque plugin instance: one per configured use of a plugin. OWNER: the plugin. */
typedef struct cc_instance cc_instance;

/*
 * What instance_create receives besides the host table. OWNER: the host; borrowed for the call.
 * config_json: the instance's configuration as a JSON object ("{}" when none).
 * work_dir: the worker's --work-dir. data_dir: a persistent directory private to this plugin
 * name (it survives restarts and upgrades; the plugin creates what it needs inside).
 */
typedef struct cc_instance_params {
  uint32_t struct_size;
  uint32_t reserved;
  cc_str config_json;
  cc_str work_dir;
  cc_str data_dir;
} cc_instance_params;

/*
 * Every kind's vtable starts with this prefix, so the host can create and destroy instances
 * without knowing the kind.
 *
 * instance_create: called once per instance before any other slot. On success stores a new
 *   instance in *out (OWNER: the plugin, until instance_destroy). host stays valid until then.
 * instance_destroy: releases everything the instance holds and joins its threads. Never fails.
 */
typedef int32_t (*cc_instance_create_fn)(const cc_host_api *host, const cc_instance_params *params,
                                         cc_instance **out, cc_error *err);
typedef void (*cc_instance_destroy_fn)(cc_instance *instance);

typedef struct cc_vtable_header {
  uint32_t struct_size;
  uint32_t reserved;
  cc_instance_create_fn instance_create;
  cc_instance_destroy_fn instance_destroy;
} cc_vtable_header;

/*
 * The descriptor. OWNER: the plugin; must stay valid and unchanged while the module is loaded
 * (return a pointer to static const data). Strings are NUL-terminated.
 *
 * name: [a-z0-9][a-z0-9-]*, at most 64 bytes. version: semver "MAJOR.MINOR.PATCH[-pre][+build]".
 * capabilities: kind-specific CC_*_CAP_* bits; a slot whose bit is absent is never called.
 * config_schema: optional JSON Schema (draft 7) text for config_json; NULL when none.
 * vtable: the kind's vtable (cc_runtime_vtable, ...), starting with a cc_vtable_header.
 * next: extension chain for vendor structs, each starting {uint32_t struct_size; uint32_t type;
 *   const void *next;}; NULL when none. The host skips types it does not know.
 */
typedef struct cc_plugin_descriptor {
  uint32_t struct_size;
  uint32_t abi_major;
  uint32_t abi_minor;
  uint32_t kind;
  const char *name;
  const char *version;
  const char *description;
  uint64_t capabilities;
  uint64_t flags;
  const char *config_schema;
  const void *vtable;
  const void *next;
} cc_plugin_descriptor;

/*
 * The entry point. Must be pure: no threads, no I/O, nothing allocated that outlives the call.
 * host: OWNER the host, valid until the module is unloaded; the plugin may keep the pointer.
 * Returns the static descriptor, or NULL after writing the reason into err.
 */
typedef const cc_plugin_descriptor *(*cc_plugin_entry_fn)(const cc_host_api *host, cc_error *err);

#if defined(__GNUC__)
#define CC_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define CC_PLUGIN_EXPORT
#endif

#ifdef __cplusplus
}
#endif

#endif /* CONCOURSE_PLUGIN_H */
