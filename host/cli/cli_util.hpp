// Small helpers the `concourse` subcommands share: install-relative paths, ports, hostname.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <string>

#include "core/flags.hpp"

namespace concourse::cli {

inline std::string hostname_or(const std::string& fallback) {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) == 0 && buf[0] != '\0')
    return buf;
  return fallback;
}

// Next to the install's bin/, as Concourse finds its resource types (`<install>/bin/..`).
inline std::string install_dir(const std::string& name) {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec)
    return name;
  return (exe.parent_path().parent_path() / name).string();
}

inline uint16_t to_port(int64_t v, const char* flag) {
  if (v < 0 || v > 65535)
    throw core::UsageError(std::string("invalid port ") + std::to_string(v) + " for --" + flag);
  return static_cast<uint16_t>(v);
}

}  // namespace concourse::cli
