// The runtime kind in C++: decoded specs, a base class with one virtual per vtable slot, and
// runtime_vtable<Impl>() producing the C vtable of noexcept thunks.
#ifndef CONCOURSE_SDK_RUNTIME_HPP
#define CONCOURSE_SDK_RUNTIME_HPP

#include <concourse/runtime.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "concourse/sdk/core.hpp"

namespace concourse::sdk {

using Properties = std::map<std::string, std::string>;

struct BindMount {
  std::string src_path, dst_path;
  bool read_write = false;
  bool from_container = false;
};

struct NetOutRule {
  uint32_t protocol = CC_PROTO_ALL;
  std::vector<std::pair<std::string, std::string>> networks;
  std::vector<std::pair<uint32_t, uint32_t>> ports;
  int32_t icmp_type = -1, icmp_code = -1;
  bool log = false;
};

struct ContainerSpec {
  std::string handle;
  int64_t grace_time_ns = 0;
  std::string rootfs;
  std::string image_uri, image_username, image_password;
  std::string network;
  bool privileged = false;
  std::vector<BindMount> bind_mounts;
  Properties properties;
  std::vector<std::string> env;
  std::optional<cc_limits> limits;
  std::vector<NetOutRule> net_out;
  std::vector<cc_net_in> net_in;
};

struct ProcessSpec {
  std::string id, path;
  std::vector<std::string> args, env;
  std::string dir, user;
  std::optional<cc_tty_size> tty;
  std::optional<cc_rlimits> rlimits;
  std::optional<cc_limits> limits;
};

struct ContainerInfo {
  std::string state = "active";
  std::string host_ip, container_ip, container_ip_v6, external_ip, container_path;
  std::vector<std::string> process_ids, events;
  Properties properties;
  std::vector<cc_net_in> mapped_ports;
  int64_t grace_time_ns = 0;
  int64_t created_at_ns = 0;
};

// Parent ends of a process's stdio; ownership passes to the host once run() returns.
struct ProcessIo {
  int stdin_fd = -1, stdout_fd = -1, stderr_fd = -1;
};

// A process the plugin started. Deleted when the host releases it (the process may live on).
class Process {
 public:
  virtual ~Process() = default;
  virtual void signal(int32_t signal) = 0;  // CC_SIGNAL_*
  virtual void resize(cc_tty_size) { unsupported("tty resize"); }
  virtual int32_t wait(const Call& call) = 0;  // exit status
};

class Runtime {
 public:
  explicit Runtime(const Host& host) : host_(host) {}
  virtual ~Runtime() = default;
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  virtual void ping(const Call&) {}
  virtual cc_capacity capacity(const Call&) { unsupported("capacity"); }
  virtual void create(const Call&, const ContainerSpec& spec) = 0;
  virtual void destroy(const Call&, const std::string& handle) = 0;  // idempotent
  virtual void stop(const Call&, const std::string&, bool /*kill*/) { unsupported("stop"); }
  virtual std::vector<std::string> list(const Call&, const Properties& filter) = 0;
  virtual ContainerInfo info(const Call&, const std::string& handle) = 0;
  virtual cc_container_metrics metrics(const Call&, const std::string&) { unsupported("metrics"); }
  virtual Properties properties(const Call&, const std::string& handle) = 0;
  virtual std::string property(const Call& call, const std::string& handle,
                               const std::string& key) {
    auto all = properties(call, handle);
    auto it = all.find(key);
    if (it == all.end())
      throw Error(CC_E_NOT_FOUND, "property not found: " + key);
    return it->second;
  }
  virtual void set_property(const Call&, const std::string& handle, const std::string& key,
                            const std::string& value) = 0;
  virtual void remove_property(const Call&, const std::string& handle, const std::string& key) = 0;
  virtual void set_grace_time(const Call&, const std::string&, int64_t) {
    unsupported("grace time");
  }
  virtual cc_limits limits(const Call&, const std::string&) {
    cc_limits l{};
    l.struct_size = sizeof l;
    return l;
  }
  virtual cc_net_in net_in(const Call&, const std::string&, uint32_t, uint32_t) {
    unsupported("net in");
  }
  virtual void net_out(const Call&, const std::string&, const NetOutRule&) {
    unsupported("net out");
  }
  virtual std::unique_ptr<Process> run(const Call&, const std::string& handle,
                                       const ProcessSpec& spec, uint64_t exit_token,
                                       ProcessIo& io) = 0;
  virtual std::unique_ptr<Process> attach(const Call&, const std::string&, const std::string& id,
                                          uint64_t, ProcessIo&) {
    throw Error(CC_E_NOT_FOUND, "unknown process: " + id);
  }
  virtual void stream_in(const Call&, const std::string&, const std::string&, const std::string&,
                         int) {
    unsupported("stream in");
  }
  virtual void stream_out(const Call&, const std::string&, const std::string&, const std::string&,
                          int) {
    unsupported("stream out");
  }

 protected:
  const Host& host() const { return host_; }

 private:
  const Host& host_;
};

namespace detail {

inline std::vector<std::string> strings(const cc_str* s, size_t n) {
  std::vector<std::string> out;
  for (size_t i = 0; s != nullptr && i < n; ++i)
    out.emplace_back(view(s[i]));
  return out;
}

inline Properties kvs(const cc_kv* kv, size_t n) {
  Properties out;
  for (size_t i = 0; kv != nullptr && i < n; ++i)
    out[std::string(view(kv[i].key))] = std::string(view(kv[i].value));
  return out;
}

// Copies a growable input struct, zero-filling fields an older caller did not have.
template <class T>
std::optional<T> copy_in(const T* in) {
  if (in == nullptr)
    return std::nullopt;
  T out{};
  size_t n = in->struct_size < sizeof(T) ? in->struct_size : sizeof(T);
  std::memcpy(&out, in, n);
  out.struct_size = sizeof(T);
  return out;
}

inline ContainerSpec decode(const cc_container_spec* s) {
  ContainerSpec c;
  c.handle = std::string(view(s->handle));
  c.grace_time_ns = s->grace_time_ns;
  c.rootfs = std::string(view(s->rootfs));
  c.image_uri = std::string(view(s->image_uri));
  c.image_username = std::string(view(s->image_username));
  c.image_password = std::string(view(s->image_password));
  c.network = std::string(view(s->network));
  c.privileged = s->privileged != 0;
  for (size_t i = 0; s->bind_mounts != nullptr && i < s->bind_mount_count; ++i) {
    const cc_bind_mount* b = s->bind_mounts[i];
    c.bind_mounts.push_back({std::string(view(b->src_path)), std::string(view(b->dst_path)),
                             b->mode == CC_BIND_RW, b->origin == CC_BIND_ORIGIN_CONTAINER});
  }
  c.properties = kvs(s->properties, s->property_count);
  c.env = strings(s->env, s->env_count);
  c.limits = copy_in(s->limits);
  for (size_t i = 0; s->net_out != nullptr && i < s->net_out_count; ++i) {
    const cc_net_out_rule* r = s->net_out[i];
    NetOutRule rule;
    rule.protocol = r->protocol;
    for (size_t k = 0; k < r->network_count; ++k)
      rule.networks.emplace_back(view(r->networks[k].start), view(r->networks[k].end));
    for (size_t k = 0; k < r->port_count; ++k)
      rule.ports.emplace_back(r->ports[k].start, r->ports[k].end);
    rule.icmp_type = r->icmp_type;
    rule.icmp_code = r->icmp_code;
    rule.log = r->log != 0;
    c.net_out.push_back(std::move(rule));
  }
  for (size_t i = 0; s->net_in != nullptr && i < s->net_in_count; ++i)
    c.net_in.push_back(s->net_in[i]);
  return c;
}

inline ProcessSpec decode(const cc_process_spec* s) {
  ProcessSpec p;
  p.id = std::string(view(s->id));
  p.path = std::string(view(s->path));
  p.args = strings(s->args, s->arg_count);
  p.env = strings(s->env, s->env_count);
  p.dir = std::string(view(s->dir));
  p.user = std::string(view(s->user));
  if (s->tty != nullptr)
    p.tty = *s->tty;
  p.rlimits = copy_in(s->rlimits);
  p.limits = copy_in(s->limits);
  return p;
}

inline void emit(const ContainerInfo& i, cc_container_info_sink* out) {
  if (out == nullptr)
    return;
  auto s = [&](uint32_t f, const std::string& v) {
    if (!v.empty())
      out->set_string(out->ctx, f, str(v));
  };
  s(CC_INFO_STATE, i.state);
  s(CC_INFO_HOST_IP, i.host_ip);
  s(CC_INFO_CONTAINER_IP, i.container_ip);
  s(CC_INFO_CONTAINER_IPV6, i.container_ip_v6);
  s(CC_INFO_EXTERNAL_IP, i.external_ip);
  s(CC_INFO_CONTAINER_PATH, i.container_path);
  out->set_int(out->ctx, CC_INFO_GRACE_TIME_NS, i.grace_time_ns);
  out->set_int(out->ctx, CC_INFO_CREATED_AT_NS, i.created_at_ns);
  for (const auto& p : i.process_ids)
    out->add_process_id(out->ctx, str(p));
  for (const auto& [k, v] : i.properties)
    out->add_property(out->ctx, str(k), str(v));
  for (const auto& m : i.mapped_ports)
    out->add_mapped_port(out->ctx, m.host_port, m.container_port);
  for (const auto& e : i.events)
    out->add_event(out->ctx, str(e));
}

template <class Impl>
struct RuntimeThunks {
  using H = Holder<Runtime>;
  static Runtime& rt(cc_instance* i) { return *holder<Runtime>(i).impl; }
  static Call call(cc_instance* i, const cc_call_ctx* c) {
    return Call(holder<Runtime>(i).host, c);
  }
  static std::string s(cc_str v) { return std::string(view(v)); }

  static int32_t ping(cc_instance* i, const cc_call_ctx* c, cc_error* e) noexcept {
    return guard(e, [&] { rt(i).ping(call(i, c)); });
  }
  static int32_t capacity(cc_instance* i, const cc_call_ctx* c, cc_capacity* o,
                          cc_error* e) noexcept {
    return guard(e, [&] {
      cc_capacity full = rt(i).capacity(call(i, c));
      full.struct_size = sizeof full;
      copy_out(full, o);
    });
  }
  static int32_t create(cc_instance* i, const cc_call_ctx* c, const cc_container_spec* sp,
                        cc_error* e) noexcept {
    return guard(e, [&] { rt(i).create(call(i, c), decode(sp)); });
  }
  static int32_t destroy(cc_instance* i, const cc_call_ctx* c, cc_str h, cc_error* e) noexcept {
    return guard(e, [&] { rt(i).destroy(call(i, c), s(h)); });
  }
  static int32_t stop(cc_instance* i, const cc_call_ctx* c, cc_str h, uint32_t k,
                      cc_error* e) noexcept {
    return guard(e, [&] { rt(i).stop(call(i, c), s(h), k != 0); });
  }
  static int32_t list(cc_instance* i, const cc_call_ctx* c, const cc_kv* f, size_t n,
                      cc_str_sink* o, cc_error* e) noexcept {
    return guard(e, [&] {
      for (const auto& h : rt(i).list(call(i, c), kvs(f, n)))
        o->add(o->ctx, str(h));
    });
  }
  static int32_t info(cc_instance* i, const cc_call_ctx* c, cc_str h, cc_container_info_sink* o,
                      cc_error* e) noexcept {
    return guard(e, [&] { emit(rt(i).info(call(i, c), s(h)), o); });
  }
  static int32_t metrics(cc_instance* i, const cc_call_ctx* c, cc_str h, cc_container_metrics* o,
                         cc_error* e) noexcept {
    return guard(e, [&] {
      cc_container_metrics full = rt(i).metrics(call(i, c), s(h));
      full.struct_size = sizeof full;
      copy_out(full, o);
    });
  }
  static int32_t props(cc_instance* i, const cc_call_ctx* c, cc_str h, cc_kv_sink* o,
                       cc_error* e) noexcept {
    return guard(e, [&] {
      for (const auto& [k, v] : rt(i).properties(call(i, c), s(h)))
        o->add(o->ctx, str(k), str(v));
    });
  }
  static int32_t prop(cc_instance* i, const cc_call_ctx* c, cc_str h, cc_str k, cc_str_sink* o,
                      cc_error* e) noexcept {
    return guard(e, [&] {
      std::string v = rt(i).property(call(i, c), s(h), s(k));
      o->add(o->ctx, str(v));
    });
  }
  static int32_t set_prop(cc_instance* i, const cc_call_ctx* c, cc_str h, cc_str k, cc_str v,
                          cc_error* e) noexcept {
    return guard(e, [&] { rt(i).set_property(call(i, c), s(h), s(k), s(v)); });
  }
  static int32_t rm_prop(cc_instance* i, const cc_call_ctx* c, cc_str h, cc_str k,
                         cc_error* e) noexcept {
    return guard(e, [&] { rt(i).remove_property(call(i, c), s(h), s(k)); });
  }
  static int32_t grace(cc_instance* i, const cc_call_ctx* c, cc_str h, int64_t g,
                       cc_error* e) noexcept {
    return guard(e, [&] { rt(i).set_grace_time(call(i, c), s(h), g); });
  }
  static int32_t limits(cc_instance* i, const cc_call_ctx* c, cc_str h, cc_limits* o,
                        cc_error* e) noexcept {
    return guard(e, [&] {
      cc_limits full = rt(i).limits(call(i, c), s(h));
      full.struct_size = sizeof full;
      copy_out(full, o);
    });
  }
  static int32_t net_in(cc_instance* i, const cc_call_ctx* c, cc_str h, uint32_t hp, uint32_t cp,
                        cc_net_in* o, cc_error* e) noexcept {
    return guard(e, [&] { *o = rt(i).net_in(call(i, c), s(h), hp, cp); });
  }
  static int32_t net_out(cc_instance* i, const cc_call_ctx* c, cc_str h, const cc_net_out_rule* r,
                         cc_error* e) noexcept {
    return guard(e, [&] {
      cc_container_spec one{};
      one.struct_size = sizeof one;
      one.net_out = &r;
      one.net_out_count = 1;
      rt(i).net_out(call(i, c), s(h), decode(&one).net_out.front());
    });
  }
  static void give(std::unique_ptr<Process> p, ProcessIo& io, cc_process** out,
                   cc_process_io* cio) {
    cio->stdin_fd = io.stdin_fd;
    cio->stdout_fd = io.stdout_fd;
    cio->stderr_fd = io.stderr_fd;
    *out = reinterpret_cast<cc_process*>(p.release());
  }
  static int32_t run(cc_instance* i, const cc_call_ctx* c, cc_str h, const cc_process_spec* sp,
                     uint64_t tok, cc_process** out, cc_process_io* cio, cc_error* e) noexcept {
    return guard(e, [&] {
      ProcessIo io;
      auto p = rt(i).run(call(i, c), s(h), decode(sp), tok, io);
      give(std::move(p), io, out, cio);
    });
  }
  static int32_t attach(cc_instance* i, const cc_call_ctx* c, cc_str h, cc_str id, uint64_t tok,
                        cc_process** out, cc_process_io* cio, cc_error* e) noexcept {
    return guard(e, [&] {
      ProcessIo io;
      auto p = rt(i).attach(call(i, c), s(h), s(id), tok, io);
      give(std::move(p), io, out, cio);
    });
  }
  static Process& proc(cc_process* p) { return *reinterpret_cast<Process*>(p); }
  static int32_t signal(cc_instance*, cc_process* p, int32_t sig, cc_error* e) noexcept {
    return guard(e, [&] { proc(p).signal(sig); });
  }
  static int32_t resize(cc_instance*, cc_process* p, cc_tty_size sz, cc_error* e) noexcept {
    return guard(e, [&] { proc(p).resize(sz); });
  }
  static int32_t wait(cc_instance* i, const cc_call_ctx* c, cc_process* p, int32_t* st,
                      cc_error* e) noexcept {
    return guard(e, [&] { *st = proc(p).wait(call(i, c)); });
  }
  static void release(cc_instance*, cc_process* p) noexcept {
    try {
      delete reinterpret_cast<Process*>(p);
    } catch (...) {
    }
  }
  static int32_t stream_in(cc_instance* i, const cc_call_ctx* c, cc_str h, cc_str d, cc_str u,
                           int fd, cc_error* e) noexcept {
    return guard(e, [&] { rt(i).stream_in(call(i, c), s(h), s(d), s(u), fd); });
  }
  static int32_t stream_out(cc_instance* i, const cc_call_ctx* c, cc_str h, cc_str d, cc_str u,
                            int fd, cc_error* e) noexcept {
    return guard(e, [&] { rt(i).stream_out(call(i, c), s(h), s(d), s(u), fd); });
  }
};

}  // namespace detail

// The C vtable for a Runtime subclass Impl constructible as Impl(const Host&, const
// InstanceParams&).
template <class Impl>
const cc_runtime_vtable* runtime_vtable() {
  using T = detail::RuntimeThunks<Impl>;
  static const cc_runtime_vtable vt = {sizeof(cc_runtime_vtable),
                                       0,
                                       &detail::create_instance<Impl, Runtime>,
                                       &detail::destroy_instance<Runtime>,
                                       &T::ping,
                                       &T::capacity,
                                       &T::create,
                                       &T::destroy,
                                       &T::stop,
                                       &T::list,
                                       &T::info,
                                       &T::metrics,
                                       &T::props,
                                       &T::prop,
                                       &T::set_prop,
                                       &T::rm_prop,
                                       &T::grace,
                                       &T::limits,
                                       &T::net_in,
                                       &T::net_out,
                                       &T::run,
                                       &T::attach,
                                       &T::signal,
                                       &T::resize,
                                       &T::wait,
                                       &T::release,
                                       &T::stream_in,
                                       &T::stream_out};
  return &vt;
}

}  // namespace concourse::sdk

#endif  // CONCOURSE_SDK_RUNTIME_HPP
