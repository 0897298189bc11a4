// Errors from reading pipeline configuration. Every problem carries the field path in
// `fly validate-pipeline` spelling (`jobs[0].plan[2].task`) and, when the value came from text,
// the line and column, so one bad pipeline yields one list of pointed messages.
#pragma once

#include "core/error.hpp"
#include "node.hpp"

#include <string>
#include <vector>

namespace concourse::atc::config {

struct ConfigError {
  std::string path;
  Mark mark;
  std::string message;

  // "line 12, column 9: jobs[0].plan[2].task: message" (position omitted when unknown).
  std::string to_string() const;
};

class ParseError : public core::Error {
 public:
  explicit ParseError(std::vector<ConfigError> errors);
  const std::vector<ConfigError>& errors() const { return errors_; }

 private:
  std::vector<ConfigError> errors_;
};

}  // namespace concourse::atc::config
