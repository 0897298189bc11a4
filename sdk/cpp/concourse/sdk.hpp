// concourse/sdk.hpp: an optional, header-only C++ helper for plugin authors.
//
// It turns a C++ class into a plugin: derive from concourse::sdk::Runtime (or Probe, GcStrategy,
// CredentialManager, Installer), override what you implement, and export it with
// CONCOURSE_SDK_DEFINE_PLUGIN. Every C entry point it generates is noexcept and runs your code
// through guard(), so no exception ever crosses the C ABI: a concourse::sdk::Error becomes its
// code and message, any other exception CC_E_INTERNAL. Slots you do not override answer
// CC_E_UNSUPPORTED. C++17 or later; depends only on the C headers.
#ifndef CONCOURSE_SDK_HPP
#define CONCOURSE_SDK_HPP

#include "concourse/sdk/core.hpp"
#include "concourse/sdk/kinds.hpp"
#include "concourse/sdk/runtime.hpp"

// Defines the plugin's one exported symbol, returning a static descriptor. KIND is CC_KIND_*;
// VTABLE is e.g. concourse::sdk::runtime_vtable<MyRuntime>().
#define CONCOURSE_SDK_DEFINE_PLUGIN(KIND, NAME, VERSION, DESCRIPTION, CAPS, FLAGS, VTABLE) \
  extern "C" CC_PLUGIN_EXPORT const cc_plugin_descriptor* concourse_plugin_entry(          \
      const cc_host_api* host, cc_error* err) noexcept {                                   \
    (void)host;                                                                            \
    (void)err;                                                                             \
    static const cc_plugin_descriptor descriptor = {sizeof(cc_plugin_descriptor),          \
                                                    CC_ABI_MAJOR,                          \
                                                    CC_ABI_MINOR,                          \
                                                    (KIND),                                \
                                                    (NAME),                                \
                                                    (VERSION),                             \
                                                    (DESCRIPTION),                         \
                                                    (CAPS),                                \
                                                    (FLAGS),                               \
                                                    nullptr,                               \
                                                    (VTABLE),                              \
                                                    nullptr};                              \
    return &descriptor;                                                                    \
  }

#endif  // CONCOURSE_SDK_HPP
