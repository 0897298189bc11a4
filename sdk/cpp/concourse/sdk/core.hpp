// Errors, the exception firewall, string helpers and the host services wrapper.
#ifndef CONCOURSE_SDK_CORE_HPP
#define CONCOURSE_SDK_CORE_HPP

#include <concourse/plugin.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace concourse::sdk {

// Throw this from plugin code to report a specific CC_E_* code.
class Error : public std::exception {
 public:
  Error(int32_t code, std::string message) : code_(code), message_(std::move(message)) {}
  int32_t code() const noexcept { return code_; }
  const char* what() const noexcept override { return message_.c_str(); }

 private:
  int32_t code_;
  std::string message_;
};

inline std::string_view view(cc_str s) noexcept {
  return s.ptr == nullptr ? std::string_view() : std::string_view(s.ptr, s.len);
}
inline cc_str str(std::string_view s) noexcept {
  return cc_str{s.data(), s.size()};
}

// Writes code and a truncated, NUL-terminated message into the caller's error; returns code.
inline int32_t set_error(cc_error* err, int32_t code, std::string_view message) noexcept {
  if (err != nullptr && err->struct_size >= sizeof(cc_error)) {
    err->code = code;
    size_t n =
        message.size() < CC_ERROR_MESSAGE_MAX - 1 ? message.size() : CC_ERROR_MESSAGE_MAX - 1;
    std::memcpy(err->message, message.data(), n);
    err->message[n] = '\0';
  }
  return code;
}

// The exception firewall: runs f; any exception becomes a status in err.
template <class F>
int32_t guard(cc_error* err, F&& f) noexcept {
  try {
    f();
    return CC_OK;
  } catch (const Error& e) {
    return set_error(err, e.code() == CC_OK ? CC_E_INTERNAL : e.code(), e.what());
  } catch (const std::exception& e) {
    return set_error(err, CC_E_INTERNAL, e.what());
  } catch (...) {
    return set_error(err, CC_E_INTERNAL, "unknown exception in plugin");
  }
}

[[noreturn]] inline void unsupported(const char* what) {
  throw Error(CC_E_UNSUPPORTED, std::string(what) + " is not supported by this plugin");
}

// The host services table, with C++ types. Copyable; valid while the instance lives.
class Host {
 public:
  Host() = default;
  explicit Host(const cc_host_api* api) : api_(api) {}
  const cc_host_api* api() const { return api_; }

  using Fields = std::initializer_list<std::pair<std::string_view, std::string_view>>;
  void log(uint32_t level, std::string_view message, Fields fields = {}) const {
    if (api_ == nullptr || api_->log == nullptr)
      return;
    if (api_->log_enabled != nullptr && api_->log_enabled(api_->host_ctx, level) == 0)
      return;
    cc_kv kv[16];
    size_t n = 0;
    for (const auto& f : fields) {
      if (n == 16)
        break;
      kv[n++] = cc_kv{str(f.first), str(f.second)};
    }
    api_->log(api_->host_ctx, level, str(message), kv, n);
  }
  void debug(std::string_view m, Fields f = {}) const { log(CC_LOG_DEBUG, m, f); }
  void info(std::string_view m, Fields f = {}) const { log(CC_LOG_INFO, m, f); }
  void warn(std::string_view m, Fields f = {}) const { log(CC_LOG_WARN, m, f); }
  void error(std::string_view m, Fields f = {}) const { log(CC_LOG_ERROR, m, f); }

  int64_t now_ns() const { return api_->now_ns(api_->host_ctx); }
  bool is_cancelled(const cc_call_ctx* ctx) const {
    return api_->is_cancelled(api_->host_ctx, ctx) != 0;
  }
  void register_secret(std::string_view v) const { api_->register_secret(api_->host_ctx, str(v)); }
  void notify_process_exit(uint64_t token, int32_t status, std::string_view error = {}) const {
    api_->notify_process_exit(api_->host_ctx, token, status, str(error));
  }
  // Throw Error on failure, with the host's code and message.
  void tar_extract(const cc_call_ctx* ctx, std::string_view dest, int in_fd,
                   const cc_tar_opts* opts = nullptr) const {
    cc_error err = new_error();
    if (int32_t rc = api_->tar_extract(api_->host_ctx, ctx, str(dest), in_fd, opts, &err)) {
      throw Error(rc, err.message);
    }
  }
  void tar_create(const cc_call_ctx* ctx, std::string_view path, int out_fd) const {
    cc_error err = new_error();
    if (int32_t rc = api_->tar_create(api_->host_ctx, ctx, str(path), out_fd, nullptr, &err)) {
      throw Error(rc, err.message);
    }
  }
  const cc_worker_api* worker() const { return api_ == nullptr ? nullptr : api_->worker; }

  static cc_error new_error() {
    cc_error e{};
    e.struct_size = sizeof e;
    return e;
  }

 private:
  const cc_host_api* api_ = nullptr;
};

// What instance_create received, copied.
struct InstanceParams {
  std::string config_json;
  std::string work_dir;
  std::string data_dir;
};

// The per-call context: deadline and cancellation.
class Call {
 public:
  Call(const Host& host, const cc_call_ctx* ctx) : host_(&host), ctx_(ctx) {}
  const cc_call_ctx* ctx() const { return ctx_; }
  bool cancelled() const { return ctx_ != nullptr && host_->is_cancelled(ctx_); }
  int64_t deadline_ns() const { return ctx_ == nullptr ? 0 : ctx_->deadline_ns; }

 private:
  const Host* host_;
  const cc_call_ctx* ctx_;
};

namespace detail {

// Instance storage common to every kind: the user's object plus its Host.
template <class Base>
struct Holder {
  Host host;
  Base* impl;
};

template <class Impl, class Base>
int32_t create_instance(const cc_host_api* api, const cc_instance_params* p, cc_instance** out,
                        cc_error* err) noexcept {
  return guard(err, [&] {
    InstanceParams params;
    if (p != nullptr) {
      params.config_json = std::string(view(p->config_json));
      params.work_dir = std::string(view(p->work_dir));
      params.data_dir = std::string(view(p->data_dir));
    }
    if (params.config_json.empty())
      params.config_json = "{}";
    auto* h = new Holder<Base>{Host(api), nullptr};
    try {
      h->impl = new Impl(h->host, params);
    } catch (...) {
      delete h;
      throw;
    }
    *out = reinterpret_cast<cc_instance*>(h);
  });
}

template <class Base>
void destroy_instance(cc_instance* inst) noexcept {
  auto* h = reinterpret_cast<Holder<Base>*>(inst);
  if (h == nullptr)
    return;
  try {
    delete h->impl;
  } catch (...) {
  }
  delete h;
}

template <class Base>
Holder<Base>& holder(cc_instance* inst) {
  return *reinterpret_cast<Holder<Base>*>(inst);
}

// Copies a full local struct into a caller-owned one of possibly smaller struct_size.
template <class T>
void copy_out(const T& full, T* out) {
  if (out == nullptr)
    return;
  uint32_t size =
      out->struct_size < sizeof(T) ? out->struct_size : static_cast<uint32_t>(sizeof(T));
  std::memcpy(out, &full, size);
  out->struct_size = size;
}

}  // namespace detail
}  // namespace concourse::sdk

#endif  // CONCOURSE_SDK_CORE_HPP
