#include "core/plugin/instance.hpp"

#include <filesystem>

#include "core/error.hpp"

namespace concourse::core::plugin {

std::unique_ptr<Instance> Instance::create(std::shared_ptr<LoadedModule> module,
                                           const std::string& config_json,
                                           const std::string& work_dir) {
  const auto* header = static_cast<const cc_vtable_header*>(module->descriptor().vtable);
  auto data_dir = std::filesystem::path(work_dir) / "plugin-data" / module->name();
  std::filesystem::create_directories(data_dir);
  std::string data = data_dir.string();
  cc_instance_params params{};
  params.struct_size = sizeof params;
  params.config_json = {config_json.data(), config_json.size()};
  params.work_dir = {work_dir.data(), work_dir.size()};
  params.data_dir = {data.data(), data.size()};
  cc_error err{};
  err.struct_size = sizeof err;
  cc_instance* inst = nullptr;
  int32_t rc;
  try {
    rc = header->instance_create(module->host_api(), &params, &inst, &err);
  } catch (...) {
    // Unwinding through C frames is not guaranteed; this is a last line of defence.
    throw Error(CC_E_INTERNAL, "create instance of " + module->id() + ": an exception escaped");
  }
  if (rc != CC_OK || inst == nullptr) {
    err.message[sizeof err.message - 1] = '\0';
    throw Error(rc == CC_OK ? CC_E_INTERNAL : rc,
                "create instance of " + module->id() + ": " +
                    (err.message[0] != '\0' ? err.message : status_name(rc)));
  }
  return std::unique_ptr<Instance>(new Instance(std::move(module), inst));
}

Instance::Instance(std::shared_ptr<LoadedModule> module, cc_instance* instance)
    : module_(std::move(module)), instance_(instance) {}

Instance::~Instance() {
  const auto* header = static_cast<const cc_vtable_header*>(module_->descriptor().vtable);
  header->instance_destroy(instance_);
}

}  // namespace concourse::core::plugin
