#include "worker/garden/runtime_client.hpp"

#include <unistd.h>

#include <cstddef>
#include <cstring>
#include <stdexcept>

#include "core/error.hpp"
#include "worker/garden/garden_error.hpp"

// A slot is callable only when the plugin's table is long enough to hold it (it may be built
// against an older minor) and the plugin filled it in.
#define GARDEN_SLOT(field)                                                                  \
  (vt_->struct_size >= offsetof(cc_runtime_vtable, field) + sizeof(vt_->field) ? vt_->field \
                                                                               : nullptr)

namespace concourse::worker::garden {
namespace {

cc_str str(const std::string& s) {
  return cc_str{s.data(), s.size()};
}

std::string to_string(cc_str s) {
  if (s.ptr == nullptr)
    return {};
  return std::string(s.ptr, s.len);
}

cc_error new_error() {
  cc_error e{};
  e.struct_size = sizeof(cc_error);
  return e;
}

std::string message_of(const cc_error& e) {
  return std::string(e.message, strnlen(e.message, sizeof(e.message)));
}

template <typename Fn>
Fn require(Fn fn, const char* op, const std::string& runtime, bool capable = true) {
  if (!capable || fn == nullptr)
    throw unsupported(op, runtime);
  return fn;
}

cc_process_io empty_io() {
  cc_process_io io{};
  io.struct_size = sizeof(cc_process_io);
  io.stdin_fd = -1;
  io.stdout_fd = -1;
  io.stderr_fd = -1;
  return io;
}

void close_io(const cc_process_io& io) {
  for (int fd : {io.stdin_fd, io.stdout_fd, io.stderr_fd}) {
    if (fd >= 0)
      ::close(fd);
  }
}

// container_info's sink, filling a ContainerInfoData.
struct InfoSink {
  static void set_string(void* ctx, uint32_t field, cc_str value) {
    auto* d = static_cast<ContainerInfoData*>(ctx);
    std::string v = to_string(value);
    switch (field) {
      case CC_INFO_STATE:
        d->state = std::move(v);
        break;
      case CC_INFO_HOST_IP:
        d->host_ip = std::move(v);
        break;
      case CC_INFO_CONTAINER_IP:
        d->container_ip = std::move(v);
        break;
      case CC_INFO_CONTAINER_IPV6:
        d->container_ipv6 = std::move(v);
        break;
      case CC_INFO_EXTERNAL_IP:
        d->external_ip = std::move(v);
        break;
      case CC_INFO_CONTAINER_PATH:
        d->container_path = std::move(v);
        break;
      default:
        break;
    }
  }
  static void set_int(void* ctx, uint32_t field, int64_t value) {
    auto* d = static_cast<ContainerInfoData*>(ctx);
    if (field == CC_INFO_GRACE_TIME_NS)
      d->grace_time_ns = value;
    if (field == CC_INFO_CREATED_AT_NS)
      d->created_at_ns = value;
  }
  static void add_process_id(void* ctx, cc_str id) {
    static_cast<ContainerInfoData*>(ctx)->process_ids.push_back(to_string(id));
  }
  static void add_property(void* ctx, cc_str key, cc_str value) {
    static_cast<ContainerInfoData*>(ctx)->properties[to_string(key)] = to_string(value);
  }
  static void add_mapped_port(void* ctx, uint32_t host_port, uint32_t container_port) {
    static_cast<ContainerInfoData*>(ctx)->mapped_ports.emplace_back(host_port, container_port);
  }
  static void add_event(void* ctx, cc_str event) {
    static_cast<ContainerInfoData*>(ctx)->events.push_back(to_string(event));
  }
  static cc_container_info_sink make(ContainerInfoData* d) {
    return cc_container_info_sink{sizeof(cc_container_info_sink),
                                  0,
                                  d,
                                  &set_string,
                                  &set_int,
                                  &add_process_id,
                                  &add_property,
                                  &add_mapped_port,
                                  &add_event};
  }
};

cc_str_sink string_sink(std::vector<std::string>* out) {
  return cc_str_sink{sizeof(cc_str_sink), out, [](void* ctx, cc_str item) {
                       static_cast<std::vector<std::string>*>(ctx)->push_back(to_string(item));
                     }};
}

}  // namespace

RuntimeClient::RuntimeClient(RuntimeBinding binding)
    : binding_(std::move(binding)), vt_(binding_.vtable), rt_(binding_.instance) {
  if (vt_ == nullptr || rt_ == nullptr) {
    throw std::invalid_argument("garden: runtime binding needs a vtable and an instance");
  }
}

template <typename Fn>
void RuntimeClient::invoke(const char* op, const cc_call_ctx* ctx, const std::string& handle,
                           NotFound nf, Fn&& fn, const std::string& subject) {
  cc_error err = new_error();
  int32_t rc = fn(&err);
  if (rc != CC_OK)
    fail(op, ctx, rc, err, handle, nf, subject);
}

void RuntimeClient::fail(const char* op, const cc_call_ctx* ctx, int32_t rc, const cc_error& err,
                         const std::string& handle, NotFound nf, const std::string& subject) {
  std::string msg = message_of(err);
  if (msg.empty())
    msg = std::string(op) + ": " + core::status_name(rc);
  if (rc == CC_E_NOT_FOUND) {
    if (handle.empty())
      throw GardenError(500, "", msg);
    // The slot may mean the handle or something inside it: ask the runtime which.
    if (nf == NotFound::Handle || !exists(ctx, handle))
      throw container_not_found(handle);
    if (nf == NotFound::HandleOrExecutable)
      throw GardenError(500, kExecutableNotFound, msg);
    if (nf == NotFound::HandleOrProcess)
      throw process_not_found(subject);
    throw GardenError(404, "", msg);
  }
  if (rc == CC_E_INVALID)
    throw GardenError(400, "", msg);
  if (rc == CC_E_UNAVAILABLE)
    throw GardenError(500, kServiceUnavailable, msg);
  throw GardenError(500, "", msg);
}

bool RuntimeClient::can_resize_tty() const {
  return has_capability(CC_RT_CAP_TTY) && GARDEN_SLOT(process_resize_tty) != nullptr;
}

bool RuntimeClient::can_attach_after_restart() const {
  return has_capability(CC_RT_CAP_ATTACH_AFTER_RESTART) && GARDEN_SLOT(process_attach) != nullptr;
}

void RuntimeClient::ping(const cc_call_ctx* ctx) {
  auto fn = require(GARDEN_SLOT(ping), "ping", name());
  invoke("ping", ctx, {}, NotFound::Handle, [&](cc_error* e) { return fn(rt_, ctx, e); });
}

cc_capacity RuntimeClient::capacity(const cc_call_ctx* ctx) {
  auto fn = require(GARDEN_SLOT(capacity), "capacity", name());
  cc_capacity c{};
  c.struct_size = sizeof(cc_capacity);
  invoke("capacity", ctx, {}, NotFound::Handle, [&](cc_error* e) { return fn(rt_, ctx, &c, e); });
  return c;
}

void RuntimeClient::create(const cc_call_ctx* ctx, const cc_container_spec& spec) {
  auto fn = require(GARDEN_SLOT(container_create), "create", name());
  // NOT_FOUND from create is about the spec (rootfs, bind mount source), never the new handle.
  invoke("create", ctx, {}, NotFound::Handle, [&](cc_error* e) { return fn(rt_, ctx, &spec, e); });
}

void RuntimeClient::destroy(const cc_call_ctx* ctx, const std::string& handle) {
  auto fn = require(GARDEN_SLOT(container_destroy), "destroy", name());
  invoke("destroy", ctx, handle, NotFound::Handle,
         [&](cc_error* e) { return fn(rt_, ctx, str(handle), e); });
}

void RuntimeClient::stop(const cc_call_ctx* ctx, const std::string& handle, bool kill) {
  auto fn = require(GARDEN_SLOT(container_stop), "stop", name());
  invoke("stop", ctx, handle, NotFound::Handle,
         [&](cc_error* e) { return fn(rt_, ctx, str(handle), kill ? 1u : 0u, e); });
}

std::vector<std::string> RuntimeClient::list(
    const cc_call_ctx* ctx, const std::vector<std::pair<std::string, std::string>>& filter) {
  auto fn = require(GARDEN_SLOT(container_list), "list", name());
  std::vector<cc_kv> kvs;
  kvs.reserve(filter.size());
  for (const auto& [k, v] : filter)
    kvs.push_back({str(k), str(v)});
  std::vector<std::string> out;
  cc_str_sink sink = string_sink(&out);
  invoke("list", ctx, {}, NotFound::Handle,
         [&](cc_error* e) { return fn(rt_, ctx, kvs.data(), kvs.size(), &sink, e); });
  return out;
}

ContainerInfoData RuntimeClient::info(const cc_call_ctx* ctx, const std::string& handle) {
  auto fn = require(GARDEN_SLOT(container_info), "info", name());
  ContainerInfoData d;
  cc_container_info_sink sink = InfoSink::make(&d);
  invoke("info", ctx, handle, NotFound::Handle,
         [&](cc_error* e) { return fn(rt_, ctx, str(handle), &sink, e); });
  return d;
}

bool RuntimeClient::exists(const cc_call_ctx* ctx, const std::string& handle) {
  auto fn = require(GARDEN_SLOT(container_info), "info", name());
  ContainerInfoData d;
  cc_container_info_sink sink = InfoSink::make(&d);
  cc_error err = new_error();
  return fn(rt_, ctx, str(handle), &sink, &err) != CC_E_NOT_FOUND;
}

void RuntimeClient::require_metrics() const {
  require(GARDEN_SLOT(container_metrics), "metrics", name(), has_capability(CC_RT_CAP_METRICS));
}

cc_container_metrics RuntimeClient::metrics(const cc_call_ctx* ctx, const std::string& handle) {
  auto fn =
      require(GARDEN_SLOT(container_metrics), "metrics", name(), has_capability(CC_RT_CAP_METRICS));
  cc_container_metrics m{};
  m.struct_size = sizeof(cc_container_metrics);
  invoke("metrics", ctx, handle, NotFound::Handle,
         [&](cc_error* e) { return fn(rt_, ctx, str(handle), &m, e); });
  return m;
}

std::map<std::string, std::string> RuntimeClient::properties(const cc_call_ctx* ctx,
                                                             const std::string& handle) {
  auto fn = require(GARDEN_SLOT(properties_get), "properties", name());
  std::map<std::string, std::string> out;
  cc_kv_sink sink{sizeof(cc_kv_sink), &out, [](void* c, cc_str k, cc_str v) {
                    (*static_cast<std::map<std::string, std::string>*>(c))[to_string(k)] =
                        to_string(v);
                  }};
  invoke("properties", ctx, handle, NotFound::Handle,
         [&](cc_error* e) { return fn(rt_, ctx, str(handle), &sink, e); });
  return out;
}

std::string RuntimeClient::property(const cc_call_ctx* ctx, const std::string& handle,
                                    const std::string& key) {
  auto fn = require(GARDEN_SLOT(property_get), "property", name());
  std::vector<std::string> out;
  cc_str_sink sink = string_sink(&out);
  invoke("property", ctx, handle, NotFound::HandleOrKey,
         [&](cc_error* e) { return fn(rt_, ctx, str(handle), str(key), &sink, e); });
  return out.empty() ? std::string() : out.front();
}

void RuntimeClient::set_property(const cc_call_ctx* ctx, const std::string& handle,
                                 const std::string& key, const std::string& value) {
  auto fn = require(GARDEN_SLOT(property_set), "set property", name());
  invoke("set property", ctx, handle, NotFound::Handle,
         [&](cc_error* e) { return fn(rt_, ctx, str(handle), str(key), str(value), e); });
}

void RuntimeClient::remove_property(const cc_call_ctx* ctx, const std::string& handle,
                                    const std::string& key) {
  auto fn = require(GARDEN_SLOT(property_remove), "remove property", name());
  invoke("remove property", ctx, handle, NotFound::HandleOrKey,
         [&](cc_error* e) { return fn(rt_, ctx, str(handle), str(key), e); });
}

void RuntimeClient::set_grace_time(const cc_call_ctx* ctx, const std::string& handle, int64_t ns) {
  auto fn = require(GARDEN_SLOT(set_grace_time), "set grace time", name());
  invoke("set grace time", ctx, handle, NotFound::Handle,
         [&](cc_error* e) { return fn(rt_, ctx, str(handle), ns, e); });
}

cc_limits RuntimeClient::limits(const cc_call_ctx* ctx, const std::string& handle) {
  auto fn = require(GARDEN_SLOT(limits_get), "limits", name());
  cc_limits l{};
  l.struct_size = sizeof(cc_limits);
  invoke("limits", ctx, handle, NotFound::Handle,
         [&](cc_error* e) { return fn(rt_, ctx, str(handle), &l, e); });
  return l;
}

cc_net_in RuntimeClient::net_in(const cc_call_ctx* ctx, const std::string& handle,
                                uint32_t host_port, uint32_t container_port) {
  auto fn = require(GARDEN_SLOT(net_in), "net in", name(), has_capability(CC_RT_CAP_NET_IN));
  cc_net_in mapped{};
  invoke("net in", ctx, handle, NotFound::Handle, [&](cc_error* e) {
    return fn(rt_, ctx, str(handle), host_port, container_port, &mapped, e);
  });
  return mapped;
}

void RuntimeClient::require_net_out() const {
  require(GARDEN_SLOT(net_out), "net out", name(), has_capability(CC_RT_CAP_NET_OUT));
}

void RuntimeClient::net_out(const cc_call_ctx* ctx, const std::string& handle,
                            const cc_net_out_rule& rule) {
  auto fn = require(GARDEN_SLOT(net_out), "net out", name(), has_capability(CC_RT_CAP_NET_OUT));
  invoke("net out", ctx, handle, NotFound::Handle,
         [&](cc_error* e) { return fn(rt_, ctx, str(handle), &rule, e); });
}

void RuntimeClient::require_tty() const {
  require(GARDEN_SLOT(process_resize_tty), "tty", name(), has_capability(CC_RT_CAP_TTY));
}

RuntimeClient::Started RuntimeClient::run(const cc_call_ctx* ctx, const std::string& handle,
                                          const cc_process_spec& spec, uint64_t exit_token) {
  auto fn = require(GARDEN_SLOT(process_run), "run", name());
  Started s;
  s.io = empty_io();
  invoke("run", ctx, handle, NotFound::HandleOrExecutable, [&](cc_error* e) {
    return fn(rt_, ctx, str(handle), &spec, exit_token, &s.process, &s.io, e);
  });
  if (s.process == nullptr) {
    close_io(s.io);
    throw internal_error("runtime " + name() + " reported success for run but gave no process");
  }
  return s;
}

RuntimeClient::Started RuntimeClient::attach(const cc_call_ctx* ctx, const std::string& handle,
                                             const std::string& process_id, uint64_t exit_token) {
  auto fn = require(GARDEN_SLOT(process_attach), "attach after restart", name(),
                    has_capability(CC_RT_CAP_ATTACH_AFTER_RESTART));
  Started s;
  s.io = empty_io();
  invoke(
      "attach", ctx, handle, NotFound::HandleOrProcess,
      [&](cc_error* e) {
        return fn(rt_, ctx, str(handle), str(process_id), exit_token, &s.process, &s.io, e);
      },
      process_id);
  if (s.process == nullptr) {
    close_io(s.io);
    throw internal_error("runtime " + name() + " reported success for attach but gave no process");
  }
  return s;
}

void RuntimeClient::signal(cc_process* process, int32_t signal) {
  auto fn = require(GARDEN_SLOT(process_signal), "signal", name());
  cc_error err = new_error();
  int32_t rc = fn(rt_, process, signal, &err);
  if (rc != CC_OK)
    throw core::Error(rc, "signal: " + message_of(err));
}

void RuntimeClient::resize_tty(cc_process* process, cc_tty_size size) {
  auto fn = require(GARDEN_SLOT(process_resize_tty), "tty", name(), has_capability(CC_RT_CAP_TTY));
  cc_error err = new_error();
  int32_t rc = fn(rt_, process, size, &err);
  if (rc != CC_OK)
    throw core::Error(rc, "resize tty: " + message_of(err));
}

void RuntimeClient::release(cc_process* process) noexcept {
  auto fn = GARDEN_SLOT(process_release);
  if (fn != nullptr && process != nullptr)
    fn(rt_, process);
}

void RuntimeClient::stream_in(const cc_call_ctx* ctx, const std::string& handle,
                              const std::string& path, const std::string& user, int in_fd) {
  auto fn = require(GARDEN_SLOT(stream_in), "stream in", name());
  invoke("stream in", ctx, handle, NotFound::HandleOrKey,
         [&](cc_error* e) { return fn(rt_, ctx, str(handle), str(path), str(user), in_fd, e); });
}

void RuntimeClient::stream_out(const cc_call_ctx* ctx, const std::string& handle,
                               const std::string& path, const std::string& user, int out_fd) {
  auto fn = require(GARDEN_SLOT(stream_out), "stream out", name());
  invoke("stream out", ctx, handle, NotFound::HandleOrKey,
         [&](cc_error* e) { return fn(rt_, ctx, str(handle), str(path), str(user), out_fd, e); });
}

}  // namespace concourse::worker::garden
