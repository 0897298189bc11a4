// Private to validation: the step walker, shared by validate.cpp.
#pragma once

#include "validate.hpp"

#include <string>
#include <vector>

namespace concourse::atc::config::detail {

bool glob_match(const std::string& pattern, const std::string& name);
bool is_duration(const std::string& text);
bool has_var(const std::string& text);
// Whether any get or put of `job` uses `resource`.
bool job_uses(const Job& job, const std::string& resource);

class StepValidator {
 public:
  StepValidator(const Pipeline& pipeline, ValidationResult& out, std::string context)
      : pipeline_(pipeline), out_(out), context_{std::move(context)} {}

  void validate(const Step& step);
  void validate_hooks(const Step& step);
  void push(std::string ctx) { context_.push_back(std::move(ctx)); }
  void pop() { context_.pop_back(); }

 private:
  void visit_core(const Step& step);
  void visit_task(const TaskStep& s);
  void visit_get(const GetStep& s);
  void visit_put(const PutStep& s);
  void visit_across(const Across& across);
  void identifier(const std::string& name);
  void error(const std::string& message);
  std::string context() const;

  const Pipeline& pipeline_;
  ValidationResult& out_;
  std::vector<std::string> context_;
  std::vector<std::string> seen_gets_;
  std::vector<std::string> local_vars_;
};

}  // namespace concourse::atc::config::detail
