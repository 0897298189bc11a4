#include "core/plugin/validate.hpp"

#include <concourse/concourse.h>

#include <cstring>

#include "core/plugin/semver.hpp"

namespace concourse::core::plugin {
namespace {

constexpr size_t kMinDescriptorSize = offsetof(cc_plugin_descriptor, next) + sizeof(void*);

// Bounded strlen: a descriptor string is static data, but a broken plugin may hand us garbage.
size_t bounded_len(const char* s, size_t max) {
  if (s == nullptr)
    return 0;
  const void* nul = std::memchr(s, '\0', max + 1);
  return nul == nullptr ? max + 1 : static_cast<size_t>(static_cast<const char*>(nul) - s);
}

bool valid_name(const char* s) {
  size_t n = bounded_len(s, 64);
  if (n == 0 || n > 64)
    return false;
  for (size_t i = 0; i < n; ++i) {
    char c = s[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (i > 0 && c == '-');
    if (!ok)
      return false;
  }
  return true;
}

template <class V>
bool slots_set(const V* v, std::initializer_list<size_t> offsets) {
  for (size_t off : offsets) {
    void* slot = nullptr;
    std::memcpy(&slot, reinterpret_cast<const char*>(v) + off, sizeof slot);
    if (slot == nullptr)
      return false;
  }
  return true;
}

#define CC_OFF(type, field) offsetof(type, field)

// The slots each kind's header marks "required" (the capability-gated ones may be NULL).
std::optional<std::string> missing_required(uint32_t kind, const void* vt) {
  switch (kind) {
    case CC_KIND_RUNTIME: {
      using T = cc_runtime_vtable;
      auto* v = static_cast<const T*>(vt);
      bool ok = slots_set(
          v, {CC_OFF(T, instance_create), CC_OFF(T, instance_destroy), CC_OFF(T, ping),
              CC_OFF(T, capacity),        CC_OFF(T, container_create), CC_OFF(T, container_destroy),
              CC_OFF(T, container_stop),  CC_OFF(T, container_list),   CC_OFF(T, container_info),
              CC_OFF(T, properties_get),  CC_OFF(T, property_get),     CC_OFF(T, property_set),
              CC_OFF(T, property_remove), CC_OFF(T, set_grace_time),   CC_OFF(T, limits_get),
              CC_OFF(T, process_run),     CC_OFF(T, process_signal),   CC_OFF(T, process_wait),
              CC_OFF(T, process_release), CC_OFF(T, stream_in),        CC_OFF(T, stream_out)});
      if (!ok)
        return "a required runtime slot is NULL";
      return std::nullopt;
    }
    case CC_KIND_HEALTH_PROBE: {
      using T = cc_probe_vtable;
      if (!slots_set(static_cast<const T*>(vt),
                     {CC_OFF(T, instance_create), CC_OFF(T, instance_destroy), CC_OFF(T, probe)}))
        return "a required probe slot is NULL";
      return std::nullopt;
    }
    case CC_KIND_GC_STRATEGY: {
      using T = cc_gc_vtable;
      if (!slots_set(static_cast<const T*>(vt),
                     {CC_OFF(T, instance_create), CC_OFF(T, instance_destroy), CC_OFF(T, plan),
                      CC_OFF(T, describe)}))
        return "a required gc slot is NULL";
      return std::nullopt;
    }
    case CC_KIND_CREDENTIAL_MANAGER: {
      using T = cc_credential_vtable;
      if (!slots_set(static_cast<const T*>(vt),
                     {CC_OFF(T, instance_create), CC_OFF(T, instance_destroy), CC_OFF(T, lookup),
                      CC_OFF(T, health)}))
        return "a required credential slot is NULL";
      return std::nullopt;
    }
    case CC_KIND_RESOURCE_TYPE_INSTALLER: {
      using T = cc_installer_vtable;
      if (!slots_set(static_cast<const T*>(vt),
                     {CC_OFF(T, instance_create), CC_OFF(T, instance_destroy), CC_OFF(T, discover),
                      CC_OFF(T, install), CC_OFF(T, verify)}))
        return "a required installer slot is NULL";
      return std::nullopt;
    }
    default:
      return "unknown kind";
  }
}

#undef CC_OFF

}  // namespace

// These are the ABI 1.0 sizes. When a minor release appends slots, keep these at the 1.0 layout
// (older plugins have the shorter vtable) and gate the new slots on struct_size at call sites.
size_t min_vtable_size(uint32_t kind) noexcept {
  switch (kind) {
    case CC_KIND_RUNTIME:
      return sizeof(cc_runtime_vtable);
    case CC_KIND_HEALTH_PROBE:
      return sizeof(cc_probe_vtable);
    case CC_KIND_GC_STRATEGY:
      return sizeof(cc_gc_vtable);
    case CC_KIND_CREDENTIAL_MANAGER:
      return sizeof(cc_credential_vtable);
    case CC_KIND_RESOURCE_TYPE_INSTALLER:
      return sizeof(cc_installer_vtable);
    default:
      return 0;
  }
}

const char* kind_name(uint32_t kind) noexcept {
  switch (kind) {
    case CC_KIND_RUNTIME:
      return "runtime";
    case CC_KIND_HEALTH_PROBE:
      return "health_probe";
    case CC_KIND_GC_STRATEGY:
      return "gc_strategy";
    case CC_KIND_CREDENTIAL_MANAGER:
      return "credential_manager";
    case CC_KIND_RESOURCE_TYPE_INSTALLER:
      return "resource_type_installer";
    default:
      return "unknown";
  }
}

std::optional<Refusal> validate_descriptor(const cc_plugin_descriptor* d,
                                           const std::string& where) {
  auto refuse = [&](RefusalReason r, std::string msg) {
    return std::optional<Refusal>(Refusal{where, r, std::move(msg)});
  };
  if (d->struct_size < kMinDescriptorSize) {
    return refuse(RefusalReason::DescriptorTooSmall,
                  "descriptor struct_size " + std::to_string(d->struct_size) +
                      " is smaller than the ABI 1.0 descriptor (" +
                      std::to_string(kMinDescriptorSize) + "); rebuild against the SDK");
  }
  std::string built = std::to_string(d->abi_major) + "." + std::to_string(d->abi_minor);
  std::string host = std::to_string(CC_ABI_MAJOR) + "." + std::to_string(CC_ABI_MINOR);
  if (d->abi_major != CC_ABI_MAJOR) {
    return refuse(RefusalReason::AbiMajorMismatch,
                  "plugin built with SDK " + built + ", worker supports ABI " +
                      std::to_string(CC_ABI_MAJOR) + ".x: rebuild the plugin against SDK " + host);
  }
  if (d->abi_minor > CC_ABI_MINOR) {
    return refuse(RefusalReason::AbiMinorTooNew,
                  "plugin built with SDK " + built + ", worker supports <= " + host +
                      ": upgrade the worker or rebuild the plugin against SDK " + host);
  }
  size_t min_vt = min_vtable_size(d->kind);
  if (min_vt == 0) {
    return refuse(RefusalReason::UnknownKind, "unknown plugin kind " + std::to_string(d->kind));
  }
  if (d->vtable == nullptr)
    return refuse(RefusalReason::BadVtable, "vtable is NULL");
  uint32_t vt_size = *static_cast<const uint32_t*>(d->vtable);
  if (vt_size < min_vt) {
    return refuse(RefusalReason::BadVtable, std::string(kind_name(d->kind)) +
                                                " vtable struct_size " + std::to_string(vt_size) +
                                                " is smaller than ABI 1.0's " +
                                                std::to_string(min_vt));
  }
  if (auto missing = missing_required(d->kind, d->vtable)) {
    return refuse(RefusalReason::BadVtable, *missing);
  }
  if (!valid_name(d->name)) {
    std::string shown =
        d->name == nullptr ? "(null)" : std::string(d->name, bounded_len(d->name, 64));
    return refuse(RefusalReason::InvalidName,
                  "invalid plugin name '" + shown + "' (expected [a-z0-9][a-z0-9-]*, <= 64 bytes)");
  }
  size_t vlen = bounded_len(d->version, 128);
  if (d->version == nullptr || vlen > 128 || !parse_semver(std::string_view(d->version, vlen))) {
    return refuse(
        RefusalReason::InvalidVersion,
        "plugin " + std::string(d->name) + " has an invalid semver version '" +
            (d->version == nullptr ? "(null)"
                                   : std::string(d->version, std::min<size_t>(vlen, 128))) +
            "'");
  }
  return std::nullopt;
}

}  // namespace concourse::core::plugin
