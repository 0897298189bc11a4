/*
 * concourse/status.h: strings, key/value pairs, sinks and error reporting shared by every header.
 *
 * Trust model: plugins run inside the worker process and are trusted not to be malicious, but the
 * host validates everything they hand back (sizes, codes, string lengths) because bugs happen.
 *
 * Conventions used by every function in this SDK:
 *  - Functions that can fail return int32_t: CC_OK (0) or one of the CC_E_* codes below, and
 *    describe the failure in a caller-provided cc_error. The callee never frees it.
 *  - Strings are cc_str: UTF-8, pointer + length, NOT necessarily NUL-terminated. Inputs are
 *    borrowed for the duration of the call only; copy what you keep.
 *  - Variable-size outputs go through sinks: the caller passes a struct of callbacks and copies
 *    whatever the callee gives it. Nothing allocated on one side is freed on the other.
 */
#ifndef CONCOURSE_STATUS_H
#define CONCOURSE_STATUS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A borrowed UTF-8 string. ptr may be NULL only when len is 0. */
typedef struct cc_str {
  const char *ptr;
  size_t len;
} cc_str;

/* A borrowed key/value pair (properties, log fields, filters). Frozen: never grows. */
typedef struct cc_kv {
  cc_str key;
  cc_str value;
} cc_kv;

/* Status codes. 1..999 belong to the ABI; 1000 and above are the plugin's own. */
#define CC_OK 0
#define CC_E_NOT_FOUND 1         /* unknown handle, process, key or path */
#define CC_E_EXISTS 2            /* handle or name already taken */
#define CC_E_INVALID 3           /* malformed argument: bad path, bad spec, bad config */
#define CC_E_UNSUPPORTED 4       /* the slot exists but this plugin or host cannot do it */
#define CC_E_BUFFER_TOO_SMALL 5  /* an output struct was smaller than required */
#define CC_E_TIMEOUT 6           /* the call's deadline passed */
#define CC_E_CANCELLED 7         /* the host cancelled the call */
#define CC_E_UNAVAILABLE 8       /* a backend is down; do not fall through to another plugin */
#define CC_E_TRY_AGAIN 9         /* transient; retry_after_ms says when */
#define CC_E_PERMISSION 10       /* the operation needs privileges the worker lacks */
#define CC_E_SKIP 11             /* "not for this machine": logged at info, not an error */
#define CC_E_INTERNAL 12         /* a bug or an unexpected failure (an exception, say) */
#define CC_E_LIMIT 13            /* a configured limit was reached (max containers, disk quota) */
#define CC_E_CONFLICT 14         /* the object is busy (being destroyed, say) */

#define CC_ERROR_MESSAGE_MAX 512

/*
 * Error details for a failed call.
 * OWNER: the caller allocates it (usually on its stack), sets struct_size, zeroes the rest.
 * The callee writes code, retry_after_ms and a NUL-terminated message that fits in message[].
 */
typedef struct cc_error {
  uint32_t struct_size;
  int32_t code;
  uint32_t retry_after_ms;
  char message[CC_ERROR_MESSAGE_MAX];
} cc_error;

/*
 * Sink for a list of strings (handles, process ids, descriptions).
 * add: copies item before returning; callable only during the call that received the sink.
 */
typedef struct cc_str_sink {
  uint32_t struct_size;
  void *ctx;
  void (*add)(void *ctx, cc_str item);
} cc_str_sink;

/* Sink for key/value pairs (properties). Same rules as cc_str_sink. */
typedef struct cc_kv_sink {
  uint32_t struct_size;
  void *ctx;
  void (*add)(void *ctx, cc_str key, cc_str value);
} cc_kv_sink;

#ifdef __cplusplus
}
#endif

#endif /* CONCOURSE_STATUS_H */
