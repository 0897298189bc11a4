// Descriptor and vtable checks as a pure function over the structs a plugin's entry returned:
// no dlopen, so it is unit-tested and fuzzed directly.
#pragma once

#include <concourse/plugin.h>

#include <optional>
#include <string>

#include "core/plugin/refusal.hpp"

namespace concourse::core::plugin {

// Validates in the documented order (size, major, minor, kind, vtable, name, version). `where`
// prefixes messages (the plugin's path). nullopt = acceptable.
std::optional<Refusal> validate_descriptor(const cc_plugin_descriptor* d, const std::string& where);

// Smallest vtable size a 1.0 plugin of `kind` may declare; 0 for an unknown kind.
size_t min_vtable_size(uint32_t kind) noexcept;
const char* kind_name(uint32_t kind) noexcept;

}  // namespace concourse::core::plugin
