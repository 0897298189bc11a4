// One plugin shared object, loaded from its private cache copy, with its validated descriptor and
// its own host services table. Shared by every instance created from it, so the code stays
// mapped as long as anything of it is alive.
#pragma once

#include <concourse/plugin.h>

#include <memory>
#include <string>

#include "core/plugin/host_services.hpp"
#include "core/plugin/semver.hpp"

namespace concourse::core::plugin {

class LoadedModule {
 public:
  struct Parts;
  explicit LoadedModule(std::unique_ptr<Parts> parts);
  ~LoadedModule();
  LoadedModule(const LoadedModule&) = delete;
  LoadedModule& operator=(const LoadedModule&) = delete;

  const std::string& name() const { return name_; }
  const std::string& version() const { return version_.text; }
  const SemVer& semver() const { return version_; }
  uint32_t kind() const { return descriptor_->kind; }
  uint32_t abi_major() const { return descriptor_->abi_major; }
  uint32_t abi_minor() const { return descriptor_->abi_minor; }
  uint64_t capabilities() const { return descriptor_->capabilities; }
  uint64_t flags() const { return descriptor_->flags; }
  std::string description() const;
  std::string config_schema() const;
  const std::string& source_path() const { return source_path_; }
  const std::string& loaded_path() const { return loaded_path_; }
  const std::string& sha256() const { return sha256_; }
  const cc_plugin_descriptor& descriptor() const { return *descriptor_; }
  const cc_host_api* host_api() const;
  std::string id() const { return name_ + "@" + version_.text; }

 private:
  std::unique_ptr<Parts> parts_;
  const cc_plugin_descriptor* descriptor_;
  std::string name_;
  SemVer version_;
  std::string source_path_, loaded_path_, sha256_;
};

}  // namespace concourse::core::plugin
