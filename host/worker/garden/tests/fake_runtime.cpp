#include "worker/garden/tests/fake_runtime.hpp"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include "worker/garden/tests/fake_util.hpp"

namespace concourse::worker::garden::testing {
namespace {

namespace fs = std::filesystem;
using fake::cstr;
using fake::fail;
using fake::str;

}  // namespace

FakeRuntime::FakeRuntime(uint64_t capabilities) : capabilities_(capabilities) {
  char tmpl[] = "/tmp/garden-fake-XXXXXX";
  if (mkdtemp(tmpl) == nullptr)
    throw std::runtime_error("mkdtemp failed");
  root_ = tmpl;
  vt_.struct_size = sizeof(cc_runtime_vtable);
  vt_.instance_create = nullptr;
  vt_.instance_destroy = nullptr;
  vt_.ping = &ping;
  vt_.capacity = &capacity;
  vt_.container_create = &create;
  vt_.container_destroy = &destroy;
  vt_.container_stop = &stop;
  vt_.container_list = &list;
  vt_.container_info = &info;
  vt_.container_metrics = &metrics;
  vt_.properties_get = &properties_get;
  vt_.property_get = &property_get;
  vt_.property_set = &property_set;
  vt_.property_remove = &property_remove;
  vt_.set_grace_time = &set_grace_time;
  vt_.limits_get = &limits_get;
  vt_.net_in = &net_in;
  vt_.net_out = &net_out;
  vt_.process_run = &process_run;
  vt_.process_attach = &process_attach;
  vt_.process_signal = &process_signal;
  vt_.process_resize_tty = &process_resize_tty;
  vt_.process_wait = &process_wait;
  vt_.process_release = &process_release;
  vt_.stream_in = &stream_in;
  vt_.stream_out = &stream_out;
}

FakeRuntime::~FakeRuntime() {
  {
    std::lock_guard lock(mu_);
    for (auto& p : processes_) {
      if (!p->exited)
        ::kill(p->pid, SIGKILL);
    }
    block_destroys_ = false;
  }
  cv_.notify_all();
  for (auto& t : waiters_)
    t.join();
  std::error_code ec;
  fs::remove_all(root_, ec);
}

RuntimeBinding FakeRuntime::binding() {
  return RuntimeBinding{&vt_, reinterpret_cast<cc_instance*>(this), capabilities_, "fake@1.0.0"};
}

void FakeRuntime::set_notify(Notify notify) {
  std::lock_guard lock(notify_mu_);
  notify_ = std::move(notify);
}

void FakeRuntime::notify(uint64_t token, int32_t status) {
  std::lock_guard lock(notify_mu_);
  if (notify_)
    notify_(token, status, "");
}

void FakeRuntime::record(const char* slot) {
  std::lock_guard lock(mu_);
  calls_.emplace_back(slot);
}

bool FakeRuntime::has_container(const std::string& handle) {
  std::lock_guard lock(mu_);
  return containers_.count(handle) != 0;
}

std::string FakeRuntime::container_dir(const std::string& handle) {
  std::lock_guard lock(mu_);
  auto it = containers_.find(handle);
  return it == containers_.end() ? std::string() : it->second.dir;
}

int64_t FakeRuntime::grace_of(const std::string& handle) {
  std::lock_guard lock(mu_);
  auto it = containers_.find(handle);
  return it == containers_.end() ? -1 : it->second.grace_ns;
}

std::vector<std::string> FakeRuntime::calls() {
  std::lock_guard lock(mu_);
  return calls_;
}

size_t FakeRuntime::count_calls(std::string_view slot) {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const auto& c : calls_)
    n += c == slot ? 1 : 0;
  return n;
}

size_t FakeRuntime::released() {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const auto& p : processes_)
    n += p->released ? 1 : 0;
  return n;
}

size_t FakeRuntime::live_processes() {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const auto& p : processes_)
    n += p->exited ? 0 : 1;
  return n;
}

size_t FakeRuntime::misuse() {
  std::lock_guard lock(mu_);
  return misuse_;
}

std::string FakeRuntime::last_process_env(std::string_view key) {
  std::lock_guard lock(mu_);
  auto it = last_env_.find(std::string(key));
  return it == last_env_.end() ? std::string() : it->second;
}

void FakeRuntime::block_destroys() {
  std::lock_guard lock(mu_);
  block_destroys_ = true;
}

void FakeRuntime::release_destroys() {
  {
    std::lock_guard lock(mu_);
    block_destroys_ = false;
  }
  cv_.notify_all();
}

size_t FakeRuntime::destroys_entered() {
  std::lock_guard lock(mu_);
  return destroys_entered_;
}

void FakeRuntime::fail_stream_out_after(size_t bytes) {
  std::lock_guard lock(mu_);
  fail_stream_out_after_ = bytes;
}

int32_t FakeRuntime::ping(cc_instance* rt, const cc_call_ctx*, cc_error*) {
  self(rt)->record("ping");
  return CC_OK;
}

int32_t FakeRuntime::capacity(cc_instance* rt, const cc_call_ctx*, cc_capacity* out, cc_error*) {
  self(rt)->record("capacity");
  out->memory_in_bytes = 8ull << 30;
  out->disk_in_bytes = 100ull << 30;
  out->schedulable_disk_in_bytes = 90ull << 30;
  out->max_containers = 250;
  return CC_OK;
}

int32_t FakeRuntime::create(cc_instance* rt, const cc_call_ctx*, const cc_container_spec* spec,
                            cc_error* err) {
  FakeRuntime* f = self(rt);
  f->record("container_create");
  std::string handle = str(spec->handle);
  std::lock_guard lock(f->mu_);
  if (f->containers_.count(handle) != 0) {
    return fail(err, CC_E_EXISTS, "handle " + handle + " already exists");
  }
  Container c;
  c.dir = f->root_ + "/" + handle;
  fs::create_directories(c.dir);
  for (size_t i = 0; i < spec->property_count; ++i) {
    c.properties[str(spec->properties[i].key)] = str(spec->properties[i].value);
  }
  for (size_t i = 0; i < spec->env_count; ++i)
    c.env.push_back(str(spec->env[i]));
  c.grace_ns = spec->grace_time_ns;
  if (spec->limits != nullptr)
    c.limits = *spec->limits;
  for (size_t i = 0; i < spec->net_in_count; ++i) {
    c.mapped_ports.emplace_back(spec->net_in[i].host_port, spec->net_in[i].container_port);
  }
  c.net_out_rules = spec->net_out_count;
  f->containers_[handle] = std::move(c);
  return CC_OK;
}

int32_t FakeRuntime::destroy(cc_instance* rt, const cc_call_ctx*, cc_str h, cc_error*) {
  FakeRuntime* f = self(rt);
  f->record("container_destroy");
  std::unique_lock lock(f->mu_);
  ++f->destroys_entered_;
  f->cv_.wait(lock, [f] { return !f->block_destroys_; });
  std::string handle = str(h);
  for (auto& p : f->processes_) {
    if (p->handle == handle && !p->exited)
      ::kill(p->pid, SIGKILL);
  }
  auto it = f->containers_.find(handle);
  if (it == f->containers_.end())
    return CC_OK;
  std::error_code ec;
  fs::remove_all(it->second.dir, ec);
  f->containers_.erase(it);
  return CC_OK;
}

int32_t FakeRuntime::stop(cc_instance* rt, const cc_call_ctx*, cc_str h, uint32_t kill_all,
                          cc_error* err) {
  FakeRuntime* f = self(rt);
  f->record("container_stop");
  std::string handle = str(h);
  std::lock_guard lock(f->mu_);
  if (f->containers_.count(handle) == 0)
    return fail(err, CC_E_NOT_FOUND, "unknown " + handle);
  for (auto& p : f->processes_) {
    if (p->handle == handle && !p->exited)
      ::kill(p->pid, kill_all != 0 ? SIGKILL : SIGTERM);
  }
  return CC_OK;
}

int32_t FakeRuntime::list(cc_instance* rt, const cc_call_ctx*, const cc_kv* filter, size_t n,
                          cc_str_sink* out, cc_error*) {
  FakeRuntime* f = self(rt);
  f->record("container_list");
  std::lock_guard lock(f->mu_);
  for (const auto& [handle, c] : f->containers_) {
    bool match = true;
    for (size_t i = 0; i < n && match; ++i) {
      auto it = c.properties.find(str(filter[i].key));
      match = it != c.properties.end() && it->second == str(filter[i].value);
    }
    if (match)
      out->add(out->ctx, cstr(handle));
  }
  return CC_OK;
}

int32_t FakeRuntime::info(cc_instance* rt, const cc_call_ctx*, cc_str h,
                          cc_container_info_sink* out, cc_error* err) {
  FakeRuntime* f = self(rt);
  f->record("container_info");
  std::string handle = str(h);
  std::lock_guard lock(f->mu_);
  auto it = f->containers_.find(handle);
  if (it == f->containers_.end())
    return fail(err, CC_E_NOT_FOUND, "unknown handle " + handle);
  const Container& c = it->second;
  out->set_string(out->ctx, CC_INFO_STATE, cstr("active"));
  out->set_string(out->ctx, CC_INFO_CONTAINER_PATH, cstr(c.dir));
  out->set_string(out->ctx, CC_INFO_HOST_IP, cstr("10.0.0.1"));
  out->set_int(out->ctx, CC_INFO_GRACE_TIME_NS, c.grace_ns);
  for (const auto& p : f->processes_) {
    if (p->handle == handle && !p->exited)
      out->add_process_id(out->ctx, cstr(p->id));
  }
  for (const auto& [k, v] : c.properties)
    out->add_property(out->ctx, cstr(k), cstr(v));
  for (const auto& [hp, cp] : c.mapped_ports)
    out->add_mapped_port(out->ctx, hp, cp);
  return CC_OK;
}

int32_t FakeRuntime::metrics(cc_instance* rt, const cc_call_ctx*, cc_str h,
                             cc_container_metrics* out, cc_error* err) {
  FakeRuntime* f = self(rt);
  f->record("container_metrics");
  std::lock_guard lock(f->mu_);
  if (f->containers_.count(str(h)) == 0)
    return fail(err, CC_E_NOT_FOUND, "unknown");
  out->memory_usage_bytes = 4096;
  out->memory_rss_bytes = 2048;
  out->cpu_usage_ns = 1000;
  out->pids_current = 3;
  out->age_ns = 5'000'000'000;
  return CC_OK;
}

int32_t FakeRuntime::properties_get(cc_instance* rt, const cc_call_ctx*, cc_str h, cc_kv_sink* out,
                                    cc_error* err) {
  FakeRuntime* f = self(rt);
  f->record("properties_get");
  std::lock_guard lock(f->mu_);
  auto it = f->containers_.find(str(h));
  if (it == f->containers_.end())
    return fail(err, CC_E_NOT_FOUND, "unknown");
  for (const auto& [k, v] : it->second.properties)
    out->add(out->ctx, cstr(k), cstr(v));
  return CC_OK;
}

int32_t FakeRuntime::property_get(cc_instance* rt, const cc_call_ctx*, cc_str h, cc_str key,
                                  cc_str_sink* out, cc_error* err) {
  FakeRuntime* f = self(rt);
  f->record("property_get");
  std::lock_guard lock(f->mu_);
  auto it = f->containers_.find(str(h));
  if (it == f->containers_.end())
    return fail(err, CC_E_NOT_FOUND, "unknown");
  auto p = it->second.properties.find(str(key));
  if (p == it->second.properties.end()) {
    return fail(err, CC_E_NOT_FOUND, "property does not exist: " + str(key));
  }
  out->add(out->ctx, cstr(p->second));
  return CC_OK;
}

int32_t FakeRuntime::property_set(cc_instance* rt, const cc_call_ctx*, cc_str h, cc_str key,
                                  cc_str value, cc_error* err) {
  FakeRuntime* f = self(rt);
  f->record("property_set");
  std::lock_guard lock(f->mu_);
  auto it = f->containers_.find(str(h));
  if (it == f->containers_.end())
    return fail(err, CC_E_NOT_FOUND, "unknown");
  it->second.properties[str(key)] = str(value);
  return CC_OK;
}

int32_t FakeRuntime::property_remove(cc_instance* rt, const cc_call_ctx*, cc_str h, cc_str key,
                                     cc_error* err) {
  FakeRuntime* f = self(rt);
  f->record("property_remove");
  std::lock_guard lock(f->mu_);
  auto it = f->containers_.find(str(h));
  if (it == f->containers_.end())
    return fail(err, CC_E_NOT_FOUND, "unknown");
  if (it->second.properties.erase(str(key)) == 0) {
    return fail(err, CC_E_NOT_FOUND, "property does not exist: " + str(key));
  }
  return CC_OK;
}

int32_t FakeRuntime::set_grace_time(cc_instance* rt, const cc_call_ctx*, cc_str h, int64_t ns,
                                    cc_error* err) {
  FakeRuntime* f = self(rt);
  f->record("set_grace_time");
  std::lock_guard lock(f->mu_);
  auto it = f->containers_.find(str(h));
  if (it == f->containers_.end())
    return fail(err, CC_E_NOT_FOUND, "unknown");
  it->second.grace_ns = ns;
  return CC_OK;
}

int32_t FakeRuntime::limits_get(cc_instance* rt, const cc_call_ctx*, cc_str h, cc_limits* out,
                                cc_error* err) {
  FakeRuntime* f = self(rt);
  f->record("limits_get");
  std::lock_guard lock(f->mu_);
  auto it = f->containers_.find(str(h));
  if (it == f->containers_.end())
    return fail(err, CC_E_NOT_FOUND, "unknown");
  uint32_t size = out->struct_size;
  *out = it->second.limits;
  out->struct_size = size;
  return CC_OK;
}

int32_t FakeRuntime::net_in(cc_instance* rt, const cc_call_ctx*, cc_str h, uint32_t host_port,
                            uint32_t container_port, cc_net_in* mapped, cc_error* err) {
  FakeRuntime* f = self(rt);
  f->record("net_in");
  std::lock_guard lock(f->mu_);
  auto it = f->containers_.find(str(h));
  if (it == f->containers_.end())
    return fail(err, CC_E_NOT_FOUND, "unknown");
  mapped->host_port = host_port != 0 ? host_port : f->next_port_++;
  mapped->container_port = container_port != 0 ? container_port : mapped->host_port;
  it->second.mapped_ports.emplace_back(mapped->host_port, mapped->container_port);
  return CC_OK;
}

int32_t FakeRuntime::net_out(cc_instance* rt, const cc_call_ctx*, cc_str h, const cc_net_out_rule*,
                             cc_error* err) {
  FakeRuntime* f = self(rt);
  f->record("net_out");
  std::lock_guard lock(f->mu_);
  auto it = f->containers_.find(str(h));
  if (it == f->containers_.end())
    return fail(err, CC_E_NOT_FOUND, "unknown");
  ++it->second.net_out_rules;
  return CC_OK;
}

}  // namespace concourse::worker::garden::testing
