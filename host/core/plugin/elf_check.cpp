#include "core/plugin/elf_check.hpp"

#include <elf.h>

#include <cstring>
#include <fstream>

namespace concourse::core::plugin {
namespace {

constexpr uint16_t host_machine() {
#if defined(__x86_64__)
  return EM_X86_64;
#elif defined(__aarch64__)
  return EM_AARCH64;
#else
  return EM_NONE;
#endif
}

const char* machine_name(uint16_t m) {
  switch (m) {
    case EM_X86_64:
      return "x86-64";
    case EM_AARCH64:
      return "aarch64";
    case EM_386:
      return "i386";
    case EM_ARM:
      return "arm";
    default:
      return "another machine";
  }
}

}  // namespace

std::optional<Refusal> check_elf(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  Elf64_Ehdr h{};
  in.read(reinterpret_cast<char*>(&h), sizeof h);
  auto got = static_cast<size_t>(in.gcount());
  if (got < EI_NIDENT || std::memcmp(h.e_ident, ELFMAG, SELFMAG) != 0) {
    return Refusal{path, RefusalReason::NotElf,
                   "not an ELF object; remove it from the plugin dir or rebuild the plugin"};
  }
  if (h.e_ident[EI_CLASS] != ELFCLASS64 || got < sizeof h) {
    return Refusal{path, RefusalReason::WrongArch,
                   "32-bit ELF object; the worker loads 64-bit plugins only"};
  }
  if (h.e_machine != host_machine()) {
    return Refusal{path, RefusalReason::WrongArch,
                   std::string("ELF object for ") + machine_name(h.e_machine) +
                       ", the worker runs on " + machine_name(host_machine())};
  }
  if (h.e_type != ET_DYN) {
    return Refusal{path, RefusalReason::NotElf,
                   "ELF object is not a shared object (link it with -shared)"};
  }
  return std::nullopt;
}

}  // namespace concourse::core::plugin
