#include "core/plugin/host_services.hpp"

#include <cstdio>
#include <cstdlib>

#include "core/archive/archive.hpp"
#include "core/error.hpp"
#include "core/plugin/call_context.hpp"

#ifndef CONCOURSE_VERSION
#define CONCOURSE_VERSION "0.0.0"
#endif

namespace concourse::core::plugin {
namespace {

HostServices* self(void* ctx) {
  return static_cast<HostServices*>(ctx);
}
std::string str(cc_str s) {
  return s.ptr == nullptr ? std::string() : std::string(s.ptr, s.len);
}

concourse::log::Level to_level(uint32_t l) {
  switch (l) {
    case CC_LOG_TRACE:
      return concourse::log::Level::Trace;
    case CC_LOG_DEBUG:
      return concourse::log::Level::Debug;
    case CC_LOG_WARN:
      return concourse::log::Level::Warn;
    case CC_LOG_ERROR:
      return concourse::log::Level::Error;
    default:
      return concourse::log::Level::Info;
  }
}

void fill(cc_error* err, int32_t code, const std::string& msg) {
  if (err == nullptr || err->struct_size < sizeof(cc_error))
    return;
  err->code = code;
  std::snprintf(err->message, sizeof err->message, "%s", msg.c_str());
}

template <class F>
int32_t tar_guard(cc_error* err, F&& f) noexcept {
  try {
    f();
    return CC_OK;
  } catch (const core::Error& e) {
    fill(err, e.code(), e.what());
    return e.code();
  } catch (const std::exception& e) {
    fill(err, CC_E_INTERNAL, e.what());
  } catch (...) {
    fill(err, CC_E_INTERNAL, "unknown error");
  }
  return CC_E_INTERNAL;
}

archive::CancelFn cancel_of(const cc_call_ctx* call) {
  if (call == nullptr)
    return {};
  return [call] { return CallContext::is_cancelled(call); };
}

}  // namespace

HostServices::HostServices(std::string path, ProcessExitFn on_exit, const cc_worker_api* worker)
    : log_(concourse::log::Logger("plugin").child({{"path", std::move(path)}})),
      on_exit_(std::move(on_exit)) {
  api_.struct_size = sizeof(cc_host_api);
  api_.abi_major = CC_ABI_MAJOR;
  api_.abi_minor = CC_ABI_MINOR;
  api_.host_version = CONCOURSE_VERSION;
  api_.host_ctx = this;
  api_.log = &HostServices::log;
  api_.log_enabled = &HostServices::log_enabled;
  api_.alloc = &HostServices::alloc;
  api_.free = &HostServices::free;
  api_.now_ns = &HostServices::now_ns;
  api_.is_cancelled = &HostServices::is_cancelled;
  api_.register_secret = &HostServices::register_secret;
  api_.notify_process_exit = &HostServices::notify_process_exit;
  api_.tar_extract = &HostServices::tar_extract;
  api_.tar_create = &HostServices::tar_create;
  api_.worker = worker;
}

void HostServices::set_identity(const std::string& name, const std::string& version) {
  std::lock_guard lock(mu_);
  log_ = concourse::log::Logger("plugin").child({{"plugin", name + "@" + version}});
}

concourse::log::Logger HostServices::logger() const {
  std::lock_guard lock(mu_);
  return log_;
}

void HostServices::log(void* ctx, uint32_t level, cc_str msg, const cc_kv* fields, size_t n) {
  auto lv = to_level(level);
  auto logger = self(ctx)->logger();
  if (!logger.enabled(lv))
    return;
  concourse::log::Fields f;
  for (size_t i = 0; fields != nullptr && i < n; ++i) {
    f.emplace_back(str(fields[i].key), str(fields[i].value));
  }
  logger.write(lv, str(msg), f);
}

int32_t HostServices::log_enabled(void* ctx, uint32_t level) {
  return self(ctx)->logger().enabled(to_level(level)) ? 1 : 0;
}

void* HostServices::alloc(void*, size_t size) {
  return std::malloc(size);
}
void HostServices::free(void*, void* ptr) {
  std::free(ptr);
}
int64_t HostServices::now_ns(void*) {
  return monotonic_now_ns();
}

int32_t HostServices::is_cancelled(void*, const cc_call_ctx* call) {
  return CallContext::is_cancelled(call) ? 1 : 0;
}

void HostServices::register_secret(void*, cc_str value) {
  concourse::log::register_secret(str(value));
}

void HostServices::notify_process_exit(void* ctx, uint64_t token, int32_t status, cc_str error) {
  auto* s = self(ctx);
  if (!s->on_exit_) {
    s->logger().debug("process-exit-dropped", {{"token", std::to_string(token)}});
    return;
  }
  s->on_exit_(token, status, std::string_view(error.ptr == nullptr ? "" : error.ptr, error.len));
}

int32_t HostServices::tar_extract(void*, const cc_call_ctx* call, cc_str dest, int in_fd,
                                  const cc_tar_opts* opts, cc_error* err) {
  return tar_guard(err, [&] {
    archive::ExtractOptions o;
    if (opts != nullptr && opts->struct_size >= sizeof(cc_tar_opts)) {
      o.preserve_owner = (opts->flags & CC_TAR_PRESERVE_OWNER) != 0;
      o.uid_shift = opts->uid_shift;
      o.gid_shift = opts->gid_shift;
    }
    o.cancelled = cancel_of(call);
    archive::extract_fd(in_fd, str(dest), o);
  });
}

int32_t HostServices::tar_create(void*, const cc_call_ctx* call, cc_str path, int out_fd,
                                 const cc_tar_opts*, cc_error* err) {
  return tar_guard(err, [&] {
    archive::CreateOptions o;
    o.cancelled = cancel_of(call);
    archive::create_fd(str(path), out_fd, o);
  });
}

}  // namespace concourse::core::plugin
