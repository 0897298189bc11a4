// The plugin registry: scans a directory, refuses what it cannot trust (one log line each, the
// rest still load), and answers "which module is runtime X" with newest-wins or name@version pins.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/plugin/host_services.hpp"
#include "core/plugin/instance.hpp"
#include "core/plugin/loaded_module.hpp"
#include "core/plugin/refusal.hpp"
#include "core/plugin/validate.hpp"

namespace concourse::core::plugin {

struct RegistryOptions {
  std::string cache_dir;  // content-addressed private copies live here (created on demand)
  ProcessExitFn on_process_exit;
  const cc_worker_api* worker = nullptr;
  // When set (the worker's own binary), every plugin whose content was not verified before is
  // first loaded by `<verify_exe> plugins verify --child` in a child process, so one that crashes
  // or hangs in its entry is refused instead of taking this process down. Verdicts are cached
  // by content hash in cache_dir.
  std::string verify_exe;
};

struct ScanResult {
  std::vector<std::shared_ptr<LoadedModule>> loaded;
  std::vector<Refusal> refused;
};

// Loads one file (ELF check, cache copy, dlopen, entry, validation). Either a module or why not.
struct LoadOutcome {
  std::shared_ptr<LoadedModule> module;
  std::optional<Refusal> refusal;
};
LoadOutcome load_module(const std::string& path, const RegistryOptions& options);

class Registry {
 public:
  explicit Registry(RegistryOptions options);

  // Loads every *.so directly in dir, in name order. Thread-safe.
  ScanResult scan(const std::string& dir);
  // "name" -> the newest version; "name@1.2.0" (or "@1", "@1.2") -> that version. nullptr if none.
  std::shared_ptr<LoadedModule> find(uint32_t kind, std::string_view spec) const;
  std::vector<std::shared_ptr<LoadedModule>> list() const;

 private:
  RegistryOptions options_;
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<LoadedModule>> modules_;
};

}  // namespace concourse::core::plugin
