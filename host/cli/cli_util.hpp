// Small helpers the `concourse` subcommands share: install-relative paths, ports, hostname.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <iostream>
#include <string>

#include "core/flags.hpp"
#include "core/log.hpp"

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

// The shape every long-running subcommand shares: parse (a usage error is one line and exit 2;
// --help exits 0), configure logging from the parsed --log-level/--log-format, then run (an
// error is logged, printed as one line, exit 1). Parsed needs help, log_level and log_format.
template <class Parse, class Run>
int run_logged_command(const std::string& component, int argc, char** argv, Parse parse, Run run) {
  decltype(parse(argc, argv)) p;
  try {
    p = parse(argc, argv);
    if (p.help)
      return 0;
    concourse::log::configure(concourse::log::parse_level(p.log_level),
                              concourse::log::parse_format(p.log_format));
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }
  concourse::log::Logger log(component);
  try {
    return run(p, log);
  } catch (const std::exception& e) {
    log.error(component + "-failed", {{"error", e.what()}});
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace concourse::cli
