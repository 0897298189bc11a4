// A plugin instance: instance_create on construction, instance_destroy on destruction. Holds its
// module, so the module cannot be unloaded under a live instance.
#pragma once

#include <memory>
#include <string>

#include "core/plugin/loaded_module.hpp"

namespace concourse::core::plugin {

class Instance {
 public:
  // Throws core::Error("create instance of name@version: <plugin's message>").
  static std::unique_ptr<Instance> create(std::shared_ptr<LoadedModule> module,
                                          const std::string& config_json,
                                          const std::string& work_dir);
  ~Instance();
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  cc_instance* get() const { return instance_; }
  const LoadedModule& module() const { return *module_; }
  template <class V>
  const V* vtable() const {
    return static_cast<const V*>(module_->descriptor().vtable);
  }

 private:
  Instance(std::shared_ptr<LoadedModule> module, cc_instance* instance);
  std::shared_ptr<LoadedModule> module_;
  cc_instance* instance_;
};

}  // namespace concourse::core::plugin
