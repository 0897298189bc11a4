#include "core/plugin/loaded_module.hpp"

#include "core/plugin/module_parts.hpp"

namespace concourse::core::plugin {

LoadedModule::LoadedModule(std::unique_ptr<Parts> parts)
    : parts_(std::move(parts)),
      descriptor_(parts_->descriptor),
      name_(descriptor_->name),
      version_(*parse_semver(descriptor_->version)),
      source_path_(parts_->source_path),
      loaded_path_(parts_->loaded_path),
      sha256_(parts_->sha256) {
  parts_->services->set_identity(name_, version_.text);
}

// Members die in reverse order: the library is unmapped only after everything else is gone.
LoadedModule::~LoadedModule() = default;

std::string LoadedModule::description() const {
  return descriptor_->description == nullptr ? "" : descriptor_->description;
}

std::string LoadedModule::config_schema() const {
  return descriptor_->config_schema == nullptr ? "" : descriptor_->config_schema;
}

const cc_host_api* LoadedModule::host_api() const {
  return parts_->services->api();
}

}  // namespace concourse::core::plugin
