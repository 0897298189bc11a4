// Pipeline validation as Concourse's configvalidate does it: errors block `set-pipeline`,
// warnings (identifier style, ignored settings) are shown and the pipeline is still saved.
// Messages carry Concourse's context paths ("jobs.build.plan.do[0].get(repo): ...").
#pragma once

#include "config.hpp"

#include <optional>
#include <string>
#include <vector>

namespace concourse::atc::config {

struct ConfigWarning {
  std::string type;  // "invalid_identifier", "pipeline", ...
  std::string message;
};

struct ValidationResult {
  std::vector<ConfigWarning> warnings;
  std::vector<std::string> errors;
  bool ok() const { return errors.empty(); }
};

ValidationResult validate(const Pipeline& pipeline);

// Concourse 7's identifier rule: lowercase letters (any script), digits, '-', '_' and '.',
// starting with a letter or digit; `((vars))` are skipped. Returns a warning when it fails.
std::optional<ConfigWarning> validate_identifier(const std::string& identifier,
                                                 const std::string& context);

}  // namespace concourse::atc::config
