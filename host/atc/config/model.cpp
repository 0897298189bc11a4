#include "config.hpp"
#include "errors.hpp"

namespace concourse::atc::config {

std::string ConfigError::to_string() const {
  std::string out;
  if (mark.line > 0)
    out = "line " + std::to_string(mark.line) + ", column " + std::to_string(mark.column) + ": ";
  if (!path.empty())
    out += path + ": ";
  return out + message;
}

ParseError::ParseError(std::vector<ConfigError> errors)
    : core::Error(CC_E_INVALID,
                  [&] {
                    std::string message = "invalid configuration:";
                    for (const ConfigError& e : errors)
                      message += "\n  " + e.to_string();
                    return message;
                  }()),
      errors_(std::move(errors)) {}

const char* Step::type() const {
  static constexpr const char* kNames[] = {"get", "put",         "task", "set_pipeline", "load_var",
                                           "run", "in_parallel", "do",   "try"};
  return kNames[core.index()];
}

int Job::effective_max_in_flight() const {
  if (serial || !serial_groups.empty())
    return 1;
  return max_in_flight.value_or(0);
}

const Resource* Pipeline::find_resource(const std::string& name) const {
  for (const Resource& r : resources) {
    if (r.name == name)
      return &r;
  }
  return nullptr;
}

const Job* Pipeline::find_job(const std::string& name) const {
  for (const Job& j : jobs) {
    if (j.name == name)
      return &j;
  }
  return nullptr;
}

}  // namespace concourse::atc::config
