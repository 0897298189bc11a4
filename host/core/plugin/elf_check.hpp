// A look at a file's ELF header before anything of it is mapped or run: `plugins list` on a
// directory full of junk must never execute a byte of it.
#pragma once

#include <optional>
#include <string>

#include "core/plugin/refusal.hpp"

namespace concourse::core::plugin {

// nullopt when path is a 64-bit ELF shared object for this machine; otherwise the refusal.
std::optional<Refusal> check_elf(const std::string& path);

}  // namespace concourse::core::plugin
