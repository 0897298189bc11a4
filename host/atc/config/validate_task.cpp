#include "config.hpp"

#include <set>

namespace concourse::atc::config {

std::vector<std::string> TaskConfig::validate() const {
  std::vector<std::string> errors;
  if (platform.empty())
    errors.push_back("missing 'platform'");
  if (run.path.empty())
    errors.push_back("missing path to executable to run");
  std::set<std::string> inputs_seen;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].name.empty())
      errors.push_back("input in position " + std::to_string(i) + " is missing a name");
    else if (!inputs_seen.insert(inputs[i].name).second)
      errors.push_back("input '" + inputs[i].name + "' is declared more than once");
  }
  std::set<std::string> outputs_seen;
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (outputs[i].name.empty())
      errors.push_back("output in position " + std::to_string(i) + " is missing a name");
    else if (!outputs_seen.insert(outputs[i].name).second)
      errors.push_back("output '" + outputs[i].name + "' is declared more than once");
  }
  for (size_t i = 0; i < caches.size(); ++i) {
    if (caches[i].empty() || caches[i] == "." || caches[i] == "/")
      errors.push_back("cache in position " + std::to_string(i) + " has an invalid path '" +
                       caches[i] + "'");
  }
  return errors;
}

}  // namespace concourse::atc::config
