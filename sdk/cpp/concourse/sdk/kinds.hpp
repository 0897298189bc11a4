// Health probes, GC strategies, credential managers and resource-type installers in C++.
#ifndef CONCOURSE_SDK_KINDS_HPP
#define CONCOURSE_SDK_KINDS_HPP

#include <concourse/credential.h>
#include <concourse/gc.h>
#include <concourse/probe.h>
#include <concourse/resource_type.h>

#include <string>
#include <vector>

#include "concourse/sdk/core.hpp"

namespace concourse::sdk {

struct ProbeResult {
  uint32_t status = CC_PROBE_OK;  // CC_PROBE_*
  std::string message;
};

class Probe {
 public:
  explicit Probe(const Host& host) : host_(host) {}
  virtual ~Probe() = default;
  virtual ProbeResult probe(const Call& call) = 0;

 protected:
  const Host& host() const { return host_; }

 private:
  const Host& host_;
};

struct GcDecision {
  uint32_t kind;  // CC_GC_OBJECT_*
  std::string handle, reason;
};

class GcStrategy {
 public:
  explicit GcStrategy(const Host& host) : host_(host) {}
  virtual ~GcStrategy() = default;
  virtual std::vector<GcDecision> plan(const Call& call, const cc_gc_snapshot& snapshot) = 0;
  virtual std::vector<std::string> describe() = 0;

 protected:
  const Host& host() const { return host_; }

 private:
  const Host& host_;
};

struct CredentialValue {
  std::string value;
  int64_t ttl_ns = 0;
};

class CredentialManager {
 public:
  explicit CredentialManager(const Host& host) : host_(host) {}
  virtual ~CredentialManager() = default;
  // Throw Error(CC_E_NOT_FOUND) when absent, Error(CC_E_UNAVAILABLE) when the backend is down.
  virtual CredentialValue lookup(const Call& call, const std::string& team,
                                 const std::string& pipeline, const std::string& path) = 0;
  virtual void health(const Call&) {}

 protected:
  const Host& host() const { return host_; }

 private:
  const Host& host_;
};

class Installer {
 public:
  explicit Installer(const Host& host) : host_(host) {}
  virtual ~Installer() = default;
  virtual std::vector<cc_resource_type_entry> discover(const Call&, const std::string& dir,
                                                       std::vector<std::string>& storage) = 0;
  virtual void install(const Call&, const cc_resource_type_entry& entry,
                       const std::string& target_dir) = 0;
  virtual void verify(const Call&, const std::string& target_dir) = 0;

 protected:
  const Host& host() const { return host_; }

 private:
  const Host& host_;
};

namespace detail {

template <class B>
B& impl(cc_instance* i) {
  return *holder<B>(i).impl;
}
template <class B>
Call call_of(cc_instance* i, const cc_call_ctx* c) {
  return Call(holder<B>(i).host, c);
}

template <class Impl>
struct OtherThunks {
  static int32_t probe(cc_instance* i, const cc_call_ctx* c, cc_probe_result* o,
                       cc_error* e) noexcept {
    return guard(e, [&] {
      ProbeResult r = impl<Probe>(i).probe(call_of<Probe>(i, c));
      o->status = r.status;
      size_t n =
          r.message.size() < CC_PROBE_MESSAGE_MAX - 1 ? r.message.size() : CC_PROBE_MESSAGE_MAX - 1;
      std::memcpy(o->message, r.message.data(), n);
      o->message[n] = '\0';
    });
  }
  static int32_t plan(cc_instance* i, const cc_call_ctx* c, const cc_gc_snapshot* s,
                      cc_gc_decision_sink* o, cc_error* e) noexcept {
    return guard(e, [&] {
      for (const auto& d : impl<GcStrategy>(i).plan(call_of<GcStrategy>(i, c), *s))
        o->remove(o->ctx, d.kind, str(d.handle), str(d.reason));
    });
  }
  static int32_t describe(cc_instance* i, cc_str_sink* o, cc_error* e) noexcept {
    return guard(e, [&] {
      for (const auto& line : impl<GcStrategy>(i).describe())
        o->add(o->ctx, str(line));
    });
  }
  static int32_t lookup(cc_instance* i, const cc_call_ctx* c, const cc_cred_scope* s, cc_str path,
                        cc_cred_sink* o, cc_error* e) noexcept {
    return guard(e, [&] {
      CredentialValue v = impl<CredentialManager>(i).lookup(
          call_of<CredentialManager>(i, c), std::string(view(s->team)),
          std::string(view(s->pipeline)), std::string(view(path)));
      o->set_value(o->ctx, str(v.value), v.ttl_ns);
      volatile char* p = v.value.data();  // the host has its copy; do not leave ours around
      for (size_t k = 0; k < v.value.size(); ++k)
        p[k] = 0;
    });
  }
  static int32_t health(cc_instance* i, const cc_call_ctx* c, cc_error* e) noexcept {
    return guard(e, [&] { impl<CredentialManager>(i).health(call_of<CredentialManager>(i, c)); });
  }
  static int32_t discover(cc_instance* i, const cc_call_ctx* c, cc_str dir,
                          cc_resource_type_sink* o, cc_error* e) noexcept {
    return guard(e, [&] {
      std::vector<std::string> storage;
      for (const auto& entry :
           impl<Installer>(i).discover(call_of<Installer>(i, c), std::string(view(dir)), storage))
        o->add(o->ctx, &entry);
    });
  }
  static int32_t install(cc_instance* i, const cc_call_ctx* c, const cc_resource_type_entry* en,
                         cc_str target, cc_progress_fn, void*, cc_error* e) noexcept {
    return guard(e, [&] {
      impl<Installer>(i).install(call_of<Installer>(i, c), *en, std::string(view(target)));
    });
  }
  static int32_t verify(cc_instance* i, const cc_call_ctx* c, cc_str target, cc_error* e) noexcept {
    return guard(
        e, [&] { impl<Installer>(i).verify(call_of<Installer>(i, c), std::string(view(target))); });
  }
};

}  // namespace detail

template <class Impl>
const cc_probe_vtable* probe_vtable() {
  static const cc_probe_vtable vt = {
      sizeof(cc_probe_vtable), 0, &detail::create_instance<Impl, Probe>,
      &detail::destroy_instance<Probe>, &detail::OtherThunks<Impl>::probe};
  return &vt;
}

template <class Impl>
const cc_gc_vtable* gc_vtable() {
  static const cc_gc_vtable vt = {sizeof(cc_gc_vtable),
                                  0,
                                  &detail::create_instance<Impl, GcStrategy>,
                                  &detail::destroy_instance<GcStrategy>,
                                  &detail::OtherThunks<Impl>::plan,
                                  &detail::OtherThunks<Impl>::describe};
  return &vt;
}

template <class Impl>
const cc_credential_vtable* credential_vtable() {
  static const cc_credential_vtable vt = {sizeof(cc_credential_vtable),
                                          0,
                                          &detail::create_instance<Impl, CredentialManager>,
                                          &detail::destroy_instance<CredentialManager>,
                                          &detail::OtherThunks<Impl>::lookup,
                                          &detail::OtherThunks<Impl>::health};
  return &vt;
}

template <class Impl>
const cc_installer_vtable* installer_vtable() {
  static const cc_installer_vtable vt = {sizeof(cc_installer_vtable),
                                         0,
                                         &detail::create_instance<Impl, Installer>,
                                         &detail::destroy_instance<Installer>,
                                         &detail::OtherThunks<Impl>::discover,
                                         &detail::OtherThunks<Impl>::install,
                                         &detail::OtherThunks<Impl>::verify};
  return &vt;
}

}  // namespace concourse::sdk

#endif  // CONCOURSE_SDK_KINDS_HPP
