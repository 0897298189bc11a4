// The step walk of Concourse's StepValidator (atc/step_validator.go): each step pushes its
// context (".get(repo)", ".do[1]") so messages read like the path a user would follow.
#include "validate_internal.hpp"

#include <fnmatch.h>
#include <algorithm>
#include <functional>

namespace concourse::atc::config::detail {

bool glob_match(const std::string& pattern, const std::string& name) {
  return fnmatch(pattern.c_str(), name.c_str(), 0) == 0;
}

bool has_var(const std::string& text) {
  return text.find("((") != std::string::npos;
}

namespace {

void for_each_step(const Step& step, const std::function<void(const Step&)>& fn) {
  fn(step);
  if (const auto* p = step.as<InParallelStep>())
    for (const Step& s : p->steps)
      for_each_step(s, fn);
  if (const auto* d = step.as<DoStep>())
    for (const Step& s : d->steps)
      for_each_step(s, fn);
  if (const auto* t = step.as<TryStep>(); t != nullptr && t->step)
    for_each_step(*t->step, fn);
  for (const StepPtr* hook :
       {&step.on_success, &step.on_failure, &step.on_error, &step.on_abort, &step.ensure}) {
    if (*hook)
      for_each_step(**hook, fn);
  }
}

}  // namespace

bool job_uses(const Job& job, const std::string& resource) {
  bool found = false;
  auto check = [&](const Step& s) {
    if (const auto* g = s.as<GetStep>())
      found = found || g->resource_name() == resource;
    if (const auto* p = s.as<PutStep>())
      found = found || p->resource_name() == resource;
  };
  for (const Step& s : job.plan)
    for_each_step(s, check);
  for (const StepPtr* hook :
       {&job.on_success, &job.on_failure, &job.on_error, &job.on_abort, &job.ensure}) {
    if (*hook)
      for_each_step(**hook, check);
  }
  return found;
}

std::string StepValidator::context() const {
  std::string out;
  for (const std::string& c : context_)
    out += c;
  return out;
}

void StepValidator::error(const std::string& message) {
  out_.errors.push_back(context() + ": " + message);
}

void StepValidator::identifier(const std::string& name) {
  // Concourse skips the check for task and set_pipeline names fanned out by `across`.
  if (context_.size() >= 2 && context_[context_.size() - 2] == ".across" &&
      (context_.back().starts_with(".task") || context_.back().starts_with(".set_pipeline")))
    return;
  if (auto warning = validate_identifier(name, context()))
    out_.warnings.push_back(*warning);
}

void StepValidator::validate(const Step& step) {
  if (step.across) {
    push(".across");
    visit_across(*step.across);
  }
  visit_core(step);
  if (step.across)
    pop();
  if (!step.timeout.empty() && !has_var(step.timeout) && !is_duration(step.timeout)) {
    push(".timeout");
    error("invalid duration '" + step.timeout + "'");
    pop();
  }
  if (step.attempts && *step.attempts <= 0) {
    push(".attempts");
    error("must be greater than 0");
    pop();
  }
  validate_hooks(step);
}

void StepValidator::validate_hooks(const Step& step) {
  const std::pair<const char*, const StepPtr*> hooks[] = {{".on_success", &step.on_success},
                                                          {".on_failure", &step.on_failure},
                                                          {".on_abort", &step.on_abort},
                                                          {".on_error", &step.on_error},
                                                          {".ensure", &step.ensure}};
  for (const auto& [name, hook] : hooks) {
    if (!*hook)
      continue;
    push(name);
    validate(**hook);
    pop();
  }
}

void StepValidator::visit_across(const Across& across) {
  if (across.vars.empty())
    error("no vars specified");
  for (size_t i = 0; i < across.vars.size(); ++i) {
    const AcrossVar& v = across.vars[i];
    push("[" + std::to_string(i) + "]");
    if (std::find(local_vars_.begin(), local_vars_.end(), v.var) != local_vars_.end())
      out_.warnings.push_back({"var_shadowed", context() + ": shadows local var '" + v.var + "'"});
    const std::string& mif = v.max_in_flight;
    if (!mif.empty() && mif != "all" && !has_var(mif) &&
        (mif.find_first_not_of("0123456789") != std::string::npos || std::stoll(mif) <= 0)) {
      push(".max_in_flight");
      error("must be greater than 0");
      pop();
    }
    pop();
  }
}

void StepValidator::visit_core(const Step& step) {
  if (const auto* s = step.as<TaskStep>()) {
    visit_task(*s);
  } else if (const auto* g = step.as<GetStep>()) {
    visit_get(*g);
  } else if (const auto* p = step.as<PutStep>()) {
    visit_put(*p);
  } else if (const auto* sp = step.as<SetPipelineStep>()) {
    push(".set_pipeline(" + sp->name + ")");
    identifier(sp->name);
    if (sp->file.empty())
      error("no file specified");
    pop();
  } else if (const auto* lv = step.as<LoadVarStep>()) {
    push(".load_var(" + lv->name + ")");
    identifier(lv->name);
    if (std::find(local_vars_.begin(), local_vars_.end(), lv->name) != local_vars_.end())
      error("repeated var name");
    local_vars_.push_back(lv->name);
    if (lv->file.empty())
      error("no file specified");
    pop();
  } else if (const auto* r = step.as<RunStep>()) {
    push(".run(" + r->type + "." + r->message + ")");
    bool known = std::any_of(pipeline_.prototypes.begin(), pipeline_.prototypes.end(),
                             [&](const ResourceType& t) { return t.name == r->type; });
    if (!known)
      error("unknown prototype '" + r->type + "'");
    pop();
  } else if (const auto* t = step.as<TryStep>()) {
    push(".try");
    if (t->step)
      validate(*t->step);
    pop();
  } else {
    const auto* par = step.as<InParallelStep>();
    const std::vector<Step>& steps = par != nullptr ? par->steps : step.as<DoStep>()->steps;
    push(par != nullptr ? ".in_parallel" : ".do");
    for (size_t i = 0; i < steps.size(); ++i) {
      push(par != nullptr ? ".steps[" + std::to_string(i) + "]" : "[" + std::to_string(i) + "]");
      validate(steps[i]);
      pop();
    }
    pop();
  }
}

void StepValidator::visit_task(const TaskStep& s) {
  push(".task(" + s.name + ")");
  identifier(s.name);
  if (!s.config && s.file.empty())
    error("must specify either `file:` or `config:`");
  if (s.config && !s.image.empty() && (s.config->image_resource || !s.config->rootfs_uri.empty()))
    out_.warnings.push_back(
        {"pipeline", context() + ": specifies image: on the step but also specifies an image "
                                 "under config: - the image: on the step takes precedence"});
  if (s.config) {
    push(".config");
    for (const std::string& message : s.config->validate())
      error(message);
    pop();
  }
  pop();
}

void StepValidator::visit_get(const GetStep& s) {
  push(".get(" + s.name + ")");
  identifier(s.name);
  if (std::find(seen_gets_.begin(), seen_gets_.end(), s.name) != seen_gets_.end())
    error("repeated name");
  seen_gets_.push_back(s.name);
  const std::string& resource = s.resource_name();
  if (pipeline_.find_resource(resource) == nullptr)
    error("unknown resource '" + resource + "'");
  push(".passed");
  for (const std::string& pattern : s.passed) {
    bool found_job = false;
    for (const Job& job : pipeline_.jobs) {
      if (!glob_match(pattern, job.name))
        continue;
      found_job = true;
      if (!job_uses(job, resource))
        error("job '" + job.name + "' does not interact with resource '" + resource + "'");
    }
    if (!found_job)
      error("unknown job '" + pattern + "'");
  }
  pop();
  pop();
}

void StepValidator::visit_put(const PutStep& s) {
  push(".put(" + s.name + ")");
  identifier(s.name);
  if (pipeline_.find_resource(s.resource_name()) == nullptr)
    error("unknown resource '" + s.resource_name() + "'");
  pop();
}

}  // namespace concourse::atc::config::detail
