#include "core/plugin/registry.hpp"

#include <Poco/SHA2Engine.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "core/plugin/elf_check.hpp"
#include "core/plugin/module_parts.hpp"
#include "core/plugin/verify.hpp"

namespace concourse::core::plugin {
namespace fs = std::filesystem;
namespace {

std::string sha256_of(const std::string& path) {
  Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
  std::ifstream in(path, std::ios::binary);
  std::vector<char> buf(1 << 16);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    engine.update(buf.data(), static_cast<unsigned>(in.gcount()));
  }
  return Poco::DigestEngine::digestToHex(engine.digest());
}

// glibc dedupes dlopen by path and overwriting a mapped file crashes the process, so we load
// from a private copy named by content: every version gets its own path, never rewritten.
std::string cache_copy(const std::string& path, const std::string& sha, const std::string& dir) {
  fs::create_directories(dir);
  fs::path target = fs::path(dir) / (sha + "-" + fs::path(path).filename().string());
  if (fs::exists(target))
    return target.string();
  fs::path tmp = target;
  tmp += ".tmp" + std::to_string(::getpid());
  fs::copy_file(path, tmp, fs::copy_options::overwrite_existing);
  fs::rename(tmp, target);
  return target.string();
}

// Boost appends a stale errno text to the dlerror message; keep only what the loader said.
std::string dl_message(const boost::dll::fs::system_error& e) {
  std::string what = e.what();
  std::string tail = ": " + e.code().message();
  if (what.size() > tail.size() && what.compare(what.size() - tail.size(), tail.size(), tail) == 0)
    what.resize(what.size() - tail.size());
  return what;
}

LoadOutcome refuse(const std::string& path, RefusalReason r, std::string msg) {
  return {nullptr, Refusal{path, r, std::move(msg)}};
}

// Runs the child-process verification once per plugin content; a marker file remembers success.
std::optional<Refusal> verified(const std::string& path, const RegistryOptions& o) {
  if (o.verify_exe.empty())
    return std::nullopt;
  fs::path marker;
  if (!o.cache_dir.empty()) {
    marker = fs::path(o.cache_dir) / (sha256_of(path) + ".verified");
    if (fs::exists(marker))
      return std::nullopt;
  }
  auto v = verify_in_child(o.verify_exe, path);
  if (!v.ok)
    return Refusal{path, refusal_from_string(v.reason), v.message};
  if (!marker.empty()) {
    fs::create_directories(marker.parent_path());
    std::ofstream(marker) << v.name << "@" << v.version << "\n";
  }
  return std::nullopt;
}

}  // namespace

LoadOutcome load_module(const std::string& path, const RegistryOptions& options) {
  if (auto bad = check_elf(path)) {
    return {nullptr, std::move(bad)};
  }
  if (auto bad = verified(path, options)) {
    return {nullptr, std::move(bad)};
  }
  auto parts = std::make_unique<LoadedModule::Parts>();
  parts->source_path = path;
  parts->sha256 = sha256_of(path);
  try {
    parts->loaded_path =
        options.cache_dir.empty() ? path : cache_copy(path, parts->sha256, options.cache_dir);
  } catch (const std::exception& e) {
    return refuse(path, RefusalReason::DlopenFailed,
                  std::string("cannot copy into the plugin cache: ") + e.what());
  }
  parts->services = std::make_unique<HostServices>(path, options.on_process_exit, options.worker);
  try {
    namespace mode = boost::dll::load_mode;
    parts->library =
        boost::dll::shared_library(parts->loaded_path, mode::rtld_now | mode::rtld_local);
  } catch (const boost::dll::fs::system_error& e) {
    return refuse(path, RefusalReason::DlopenFailed, "cannot load: " + dl_message(e));
  }
  if (!parts->library.has(CC_PLUGIN_ENTRY_SYMBOL)) {
    return refuse(path, RefusalReason::MissingEntry,
                  "no " CC_PLUGIN_ENTRY_SYMBOL
                  " symbol exported; build it with "
                  "concourse_add_plugin() or CONCOURSE_SDK_DEFINE_PLUGIN");
  }
  auto entry = parts->library.get<const cc_plugin_descriptor*(const cc_host_api*, cc_error*)>(
      CC_PLUGIN_ENTRY_SYMBOL);
  cc_error err{};
  err.struct_size = sizeof err;
  const cc_plugin_descriptor* d = nullptr;
  try {
    d = entry(parts->services->api(), &err);
  } catch (const std::exception& e) {
    return refuse(path, RefusalReason::EntryThrew, std::string("entry threw: ") + e.what());
  } catch (...) {
    return refuse(path, RefusalReason::EntryThrew, "entry threw a non-standard exception");
  }
  if (d == nullptr) {
    err.message[sizeof err.message - 1] = '\0';
    return refuse(path, RefusalReason::EntryReturnedNull,
                  std::string("entry returned no descriptor: ") +
                      (err.message[0] != '\0' ? err.message : "no reason given"));
  }
  if (auto bad = validate_descriptor(d, path))
    return {nullptr, std::move(bad)};
  parts->descriptor = d;
  return {std::make_shared<LoadedModule>(std::move(parts)), std::nullopt};
}

Registry::Registry(RegistryOptions options) : options_(std::move(options)) {}

ScanResult Registry::scan(const std::string& dir) {
  std::vector<std::string> paths;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.is_regular_file() && e.path().extension() == ".so")
      paths.push_back(e.path().string());
  }
  std::sort(paths.begin(), paths.end());
  concourse::log::Logger log("plugin-host");
  ScanResult result;
  for (const auto& path : paths) {
    auto outcome = load_module(path, options_);
    if (outcome.module) {
      std::lock_guard lock(mu_);
      auto dup = std::find_if(modules_.begin(), modules_.end(), [&](const auto& m) {
        return m->kind() == outcome.module->kind() && m->name() == outcome.module->name() &&
               m->version() == outcome.module->version();
      });
      if (dup != modules_.end()) {
        outcome.refusal = Refusal{path, RefusalReason::Duplicate,
                                  outcome.module->id() + " is already loaded from " +
                                      (*dup)->source_path() + "; remove one of them"};
        outcome.module.reset();
      } else {
        modules_.push_back(outcome.module);
      }
    }
    if (outcome.module) {
      log.info("plugin-loaded", {{"plugin", outcome.module->id()},
                                 {"kind", kind_name(outcome.module->kind())},
                                 {"path", path}});
      result.loaded.push_back(outcome.module);
    } else {
      const auto& r = *outcome.refusal;
      log.warn("plugin-refused",
               {{"path", r.path}, {"reason", to_string(r.reason)}, {"error", r.message}});
      result.refused.push_back(r);
    }
  }
  return result;
}

std::shared_ptr<LoadedModule> Registry::find(uint32_t kind, std::string_view spec) const {
  std::string_view name = spec, pin;
  if (auto at = spec.find('@'); at != std::string_view::npos) {
    name = spec.substr(0, at);
    pin = spec.substr(at + 1);
  }
  std::lock_guard lock(mu_);
  std::shared_ptr<LoadedModule> best;
  for (const auto& m : modules_) {
    if (m->kind() != kind || m->name() != name)
      continue;
    if (!pin.empty() && !version_matches(m->semver(), pin))
      continue;
    if (!best || best->semver() < m->semver())
      best = m;
  }
  return best;
}

std::vector<std::shared_ptr<LoadedModule>> Registry::list() const {
  std::lock_guard lock(mu_);
  return modules_;
}

}  // namespace concourse::core::plugin
