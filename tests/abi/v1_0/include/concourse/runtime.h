/*
 * concourse/runtime.h: the container runtime kind (CC_KIND_RUNTIME), enough to back every route
 * of Concourse's Garden API (see docs/garden-mapping.md for route -> slot).
 *
 * Containers are named by their Garden handle (a string chosen by the client), so a name means
 * the same container across worker restarts. Processes are plugin-owned opaque objects.
 *
 * Process I/O crosses as file descriptors, never as bytes: process_run hands the host the parent
 * ends of the process's stdin/stdout/stderr, and the host splices them to clients. The plugin
 * keeps the process alive whether or not a client is attached; re-attaching after a client went
 * away is the host's job, from the fds it holds.
 *
 * Threading: every slot below may run concurrently with any other, on any host thread, unless
 * the descriptor sets CC_PLUGIN_SERIALIZED. For one container, the host never overlaps
 * container_destroy with another call on the same handle.
 *
 * Every slot may be NULL when its capability bit is absent; the host then answers the route
 * with an "unsupported" error and never calls it. The slots marked "required" must be set.
 */
#ifndef CONCOURSE_RUNTIME_H
#define CONCOURSE_RUNTIME_H

#include "concourse/plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Capability bits (cc_plugin_descriptor.capabilities) for runtimes. */
#define CC_RT_CAP_NET_IN (1ull << 0)
#define CC_RT_CAP_NET_OUT (1ull << 1)
#define CC_RT_CAP_LIMIT_CPU (1ull << 2)
#define CC_RT_CAP_LIMIT_MEMORY (1ull << 3)
#define CC_RT_CAP_LIMIT_DISK (1ull << 4)
#define CC_RT_CAP_LIMIT_BANDWIDTH (1ull << 5)
#define CC_RT_CAP_LIMIT_PID (1ull << 6)
#define CC_RT_CAP_PRIVILEGED (1ull << 7) /* distinguishes privileged from unprivileged */
#define CC_RT_CAP_TTY (1ull << 8)
#define CC_RT_CAP_ROOTFS_RAW (1ull << 9)       /* raw:///path rootfs */
#define CC_RT_CAP_ROOTFS_IMAGE_URI (1ull << 10) /* image {uri,...} */
#define CC_RT_CAP_METRICS (1ull << 11)
#define CC_RT_CAP_ATTACH_AFTER_RESTART (1ull << 12) /* process_attach works after a restart */
#define CC_RT_CAP_ISOLATION (1ull << 13)            /* processes are isolated from the host */

/* Bind mount (Garden BindMount). mode: CC_BIND_RO / CC_BIND_RW; origin: host or container. */
#define CC_BIND_RO 0
#define CC_BIND_RW 1
#define CC_BIND_ORIGIN_HOST 0
#define CC_BIND_ORIGIN_CONTAINER 1
typedef struct cc_bind_mount {
  uint32_t struct_size;
  uint32_t mode;
  uint32_t origin;
  uint32_t reserved;
  cc_str src_path;
  cc_str dst_path;
} cc_bind_mount;

/*
 * Resource limits (Garden Limits). A zero value means "not set". OWNER: whoever declared it;
 * as an output (limits_get) the caller sets struct_size and the plugin writes only what fits.
 */
typedef struct cc_limits {
  uint32_t struct_size;
  uint32_t disk_scope; /* 0 = total, 1 = exclusive */
  uint64_t bandwidth_rate;
  uint64_t bandwidth_burst;
  uint64_t cpu_weight;
  uint64_t cpu_limit_in_shares;
  uint64_t disk_inode_soft;
  uint64_t disk_inode_hard;
  uint64_t disk_byte_soft;
  uint64_t disk_byte_hard;
  uint64_t memory_limit_in_bytes;
  uint64_t pid_max;
} cc_limits;

/* Net rules (Garden NetIn / NetOutRule). Frozen small structs. */
typedef struct cc_net_in {
  uint32_t host_port;
  uint32_t container_port;
} cc_net_in;
typedef struct cc_ip_range {
  cc_str start;
  cc_str end;
} cc_ip_range;
typedef struct cc_port_range {
  uint32_t start;
  uint32_t end;
} cc_port_range;
#define CC_PROTO_ALL 0
#define CC_PROTO_TCP 1
#define CC_PROTO_UDP 2
#define CC_PROTO_ICMP 3
#define CC_PROTO_ICMPV6 4
typedef struct cc_net_out_rule {
  uint32_t struct_size;
  uint32_t protocol;
  const cc_ip_range *networks;
  size_t network_count;
  const cc_port_range *ports;
  size_t port_count;
  int32_t icmp_type; /* -1 = any */
  int32_t icmp_code; /* -1 = any */
  uint32_t log;
  uint32_t reserved;
} cc_net_out_rule;

/*
 * Container spec (Garden ContainerSpec). OWNER: the host; everything borrowed for the call.
 * Arrays of growable structs are arrays of pointers, so a plugin built against an older minor
 * never indexes with the wrong stride.
 */
typedef struct cc_container_spec {
  uint32_t struct_size;
  uint32_t privileged;
  cc_str handle;
  int64_t grace_time_ns; /* 0 = the server default */
  cc_str rootfs;         /* URI ("raw:///abs/path"); empty = none */
  cc_str image_uri;
  cc_str image_username;
  cc_str image_password;
  cc_str network;
  const cc_bind_mount *const *bind_mounts;
  size_t bind_mount_count;
  const cc_kv *properties;
  size_t property_count;
  const cc_str *env; /* "K=V" */
  size_t env_count;
  const cc_limits *limits; /* NULL = none */
  const cc_net_out_rule *const *net_out;
  size_t net_out_count;
  const cc_net_in *net_in;
  size_t net_in_count;
} cc_container_spec;

/* Garden Capacity. Output: the caller sets struct_size. */
typedef struct cc_capacity {
  uint32_t struct_size;
  uint32_t reserved;
  uint64_t memory_in_bytes;
  uint64_t disk_in_bytes;
  uint64_t schedulable_disk_in_bytes;
  uint64_t max_containers;
} cc_capacity;

/* Fields of container_info's string and integer setters. */
#define CC_INFO_STATE 1
#define CC_INFO_HOST_IP 2
#define CC_INFO_CONTAINER_IP 3
#define CC_INFO_CONTAINER_IPV6 4
#define CC_INFO_EXTERNAL_IP 5
#define CC_INFO_CONTAINER_PATH 6
#define CC_INFO_GRACE_TIME_NS 101
#define CC_INFO_CREATED_AT_NS 102 /* CLOCK_REALTIME */

/* Sink for container_info. Each callback copies its arguments; valid only during the call. */
typedef struct cc_container_info_sink {
  uint32_t struct_size;
  uint32_t reserved;
  void *ctx;
  void (*set_string)(void *ctx, uint32_t field, cc_str value);
  void (*set_int)(void *ctx, uint32_t field, int64_t value);
  void (*add_process_id)(void *ctx, cc_str process_id);
  void (*add_property)(void *ctx, cc_str key, cc_str value);
  void (*add_mapped_port)(void *ctx, uint32_t host_port, uint32_t container_port);
  void (*add_event)(void *ctx, cc_str event);
} cc_container_info_sink;

/* Garden Metrics, flattened. Output: the caller sets struct_size. */
typedef struct cc_container_metrics {
  uint32_t struct_size;
  uint32_t reserved;
  uint64_t memory_usage_bytes; /* total usage toward the limit */
  uint64_t memory_rss_bytes;
  uint64_t memory_cache_bytes;
  uint64_t cpu_usage_ns;
  uint64_t cpu_user_ns;
  uint64_t cpu_system_ns;
  uint64_t disk_total_bytes;
  uint64_t disk_total_inodes;
  uint64_t disk_exclusive_bytes;
  uint64_t disk_exclusive_inodes;
  uint64_t net_rx_bytes;
  uint64_t net_tx_bytes;
  uint64_t pids_current;
  uint64_t pids_max;
  int64_t age_ns;
} cc_container_metrics;

/* Process rlimits (Garden ResourceLimits): value[i] applies when bit i of set_mask is set. */
#define CC_RLIMIT_AS 0
#define CC_RLIMIT_CORE 1
#define CC_RLIMIT_CPU 2
#define CC_RLIMIT_DATA 3
#define CC_RLIMIT_FSIZE 4
#define CC_RLIMIT_LOCKS 5
#define CC_RLIMIT_MEMLOCK 6
#define CC_RLIMIT_MSGQUEUE 7
#define CC_RLIMIT_NICE 8
#define CC_RLIMIT_NOFILE 9
#define CC_RLIMIT_NPROC 10
#define CC_RLIMIT_RSS 11
#define CC_RLIMIT_RTPRIO 12
#define CC_RLIMIT_SIGPENDING 13
#define CC_RLIMIT_STACK 14
#define CC_RLIMIT_COUNT 15
typedef struct cc_rlimits {
  uint32_t struct_size;
  uint32_t set_mask;
  uint64_t value[CC_RLIMIT_COUNT];
} cc_rlimits;

/* Terminal size (Garden TTYSpec.WindowSize). */
typedef struct cc_tty_size {
  uint32_t columns;
  uint32_t rows;
} cc_tty_size;

/* Process spec (Garden ProcessSpec). OWNER: the host; borrowed for the call. */
typedef struct cc_process_spec {
  uint32_t struct_size;
  uint32_t reserved;
  cc_str id; /* chosen by the client, or by the host when the client gave none */
  cc_str path;
  const cc_str *args;
  size_t arg_count;
  const cc_str *env; /* "K=V", applied over the container's env */
  size_t env_count;
  cc_str dir;  /* empty = the container's default */
  cc_str user; /* empty = the container's default */
  const cc_tty_size *tty;      /* NULL = no terminal */
  const cc_rlimits *rlimits;   /* NULL = none */
  const cc_limits *limits;     /* NULL = none (cpu and memory only) */
} cc_process_spec;

/* An opaque running process. OWNER: the plugin, until process_release. */
typedef struct cc_process cc_process;

/*
 * The parent ends of a process's standard streams. OWNER: after a successful process_run or
 * process_attach, the host; it closes them. With a terminal, stdout_fd is the pty master (read
 * and write), stdin_fd is a dup of it and stderr_fd is -1. A stream the runtime cannot offer is -1.
 */
typedef struct cc_process_io {
  uint32_t struct_size;
  int32_t stdin_fd;
  int32_t stdout_fd;
  int32_t stderr_fd;
} cc_process_io;

/* Signals (Garden: 0 = terminate, 1 = kill). */
#define CC_SIGNAL_TERMINATE 0
#define CC_SIGNAL_KILL 1

/*
 * The runtime vtable. Every slot takes the instance, a call context (borrowed, may carry a
 * deadline) and an error to fill on failure, and returns CC_OK or a CC_E_* code.
 */
typedef struct cc_runtime_vtable {
  uint32_t struct_size;
  uint32_t reserved;
  cc_instance_create_fn instance_create;   /* required */
  cc_instance_destroy_fn instance_destroy; /* required */

  /* required. CC_OK when the runtime can serve requests. */
  int32_t (*ping)(cc_instance *rt, const cc_call_ctx *ctx, cc_error *err);
  /* required. Fills out (caller-owned, struct_size set by the caller). */
  int32_t (*capacity)(cc_instance *rt, const cc_call_ctx *ctx, cc_capacity *out, cc_error *err);

  /* required. Creates spec->handle; CC_E_EXISTS if taken, CC_E_LIMIT at max containers. */
  int32_t (*container_create)(cc_instance *rt, const cc_call_ctx *ctx,
                              const cc_container_spec *spec, cc_error *err);
  /* required. Idempotent: an unknown handle is CC_OK. Kills processes, removes all state. */
  int32_t (*container_destroy)(cc_instance *rt, const cc_call_ctx *ctx, cc_str handle,
                               cc_error *err);
  /* required. Signals every process of the container: TERM, or KILL when kill != 0. */
  int32_t (*container_stop)(cc_instance *rt, const cc_call_ctx *ctx, cc_str handle,
                            uint32_t kill, cc_error *err);
  /* required. Every handle whose properties contain all n filter pairs goes to out. */
  int32_t (*container_list)(cc_instance *rt, const cc_call_ctx *ctx, const cc_kv *filter,
                            size_t n, cc_str_sink *out, cc_error *err);
  /* required. CC_E_NOT_FOUND for an unknown handle. */
  int32_t (*container_info)(cc_instance *rt, const cc_call_ctx *ctx, cc_str handle,
                            cc_container_info_sink *out, cc_error *err);
  /* CC_RT_CAP_METRICS. */
  int32_t (*container_metrics)(cc_instance *rt, const cc_call_ctx *ctx, cc_str handle,
                               cc_container_metrics *out, cc_error *err);

  /* required. Properties persist with the container (across worker restarts too). */
  int32_t (*properties_get)(cc_instance *rt, const cc_call_ctx *ctx, cc_str handle,
                            cc_kv_sink *out, cc_error *err);
  /* required. CC_E_NOT_FOUND for an unknown handle or key; the value goes to out. */
  int32_t (*property_get)(cc_instance *rt, const cc_call_ctx *ctx, cc_str handle, cc_str key,
                          cc_str_sink *out, cc_error *err);
  int32_t (*property_set)(cc_instance *rt, const cc_call_ctx *ctx, cc_str handle, cc_str key,
                          cc_str value, cc_error *err); /* required */
  int32_t (*property_remove)(cc_instance *rt, const cc_call_ctx *ctx, cc_str handle,
                             cc_str key, cc_error *err); /* required */

  /* required. Stores the grace time (ns) reported back as CC_INFO_GRACE_TIME_NS. The host runs
   * the reaper (Garden's "bomberman") and calls container_destroy when it expires. */
  int32_t (*set_grace_time)(cc_instance *rt, const cc_call_ctx *ctx, cc_str handle,
                            int64_t grace_time_ns, cc_error *err);
  /* required. The limits in force; zero fields are "no limit". */
  int32_t (*limits_get)(cc_instance *rt, const cc_call_ctx *ctx, cc_str handle, cc_limits *out,
                        cc_error *err);

  /* CC_RT_CAP_NET_IN. host_port/container_port 0 = pick one; the result goes to *mapped. */
  int32_t (*net_in)(cc_instance *rt, const cc_call_ctx *ctx, cc_str handle, uint32_t host_port,
                    uint32_t container_port, cc_net_in *mapped, cc_error *err);
  /* CC_RT_CAP_NET_OUT. */
  int32_t (*net_out)(cc_instance *rt, const cc_call_ctx *ctx, cc_str handle,
                     const cc_net_out_rule *rule, cc_error *err);

  /*
   * required. Starts a process in the container. On success *out is a new process (OWNER: the
   * plugin until process_release) and io holds the parent-end fds (OWNER: now the host).
   * The plugin calls host->notify_process_exit(exit_token, ...) exactly once when it exits.
   * CC_E_NOT_FOUND for an unknown handle or executable; CC_E_EXISTS for a live process id.
   */
  int32_t (*process_run)(cc_instance *rt, const cc_call_ctx *ctx, cc_str handle,
                         const cc_process_spec *spec, uint64_t exit_token, cc_process **out,
                         cc_process_io *io, cc_error *err);
  /*
   * CC_RT_CAP_ATTACH_AFTER_RESTART. Re-opens a process the host does not hold (after a worker
   * restart). Same ownership as process_run. CC_E_NOT_FOUND when the process is unknown.
   */
  int32_t (*process_attach)(cc_instance *rt, const cc_call_ctx *ctx, cc_str handle,
                            cc_str process_id, uint64_t exit_token, cc_process **out,
                            cc_process_io *io, cc_error *err);
  /* required. signal is CC_SIGNAL_*. CC_OK if the process already exited. */
  int32_t (*process_signal)(cc_instance *rt, cc_process *proc, int32_t signal, cc_error *err);
  /* CC_RT_CAP_TTY. */
  int32_t (*process_resize_tty)(cc_instance *rt, cc_process *proc, cc_tty_size size,
                                cc_error *err);
  /* required. Blocks until exit (honouring ctx); for callers that do not use notifications. */
  int32_t (*process_wait)(cc_instance *rt, const cc_call_ctx *ctx, cc_process *proc,
                          int32_t *exit_status, cc_error *err);
  /* required. The host is done with proc; the process itself keeps running if it still is. */
  void (*process_release)(cc_instance *rt, cc_process *proc);

  /*
   * required. Extract a tar stream (uncompressed; the host decodes gzip/zstd) read from in_fd
   * into dst_path inside the container, as `user` (empty = the container's default).
   * in_fd is borrowed: the host closes it after the call.
   */
  int32_t (*stream_in)(cc_instance *rt, const cc_call_ctx *ctx, cc_str handle, cc_str dst_path,
                       cc_str user, int in_fd, cc_error *err);
  /* required. Write a tar stream of src_path inside the container to out_fd (borrowed). */
  int32_t (*stream_out)(cc_instance *rt, const cc_call_ctx *ctx, cc_str handle, cc_str src_path,
                        cc_str user, int out_fd, cc_error *err);
} cc_runtime_vtable;

#ifdef __cplusplus
}
#endif

#endif /* CONCOURSE_RUNTIME_H */
