#include "validate.hpp"

#include "core/flags.hpp"
#include "validate_internal.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

namespace concourse::atc::config {
namespace {

using detail::glob_match;
using detail::has_var;
using detail::is_duration;

std::string identifier_of(const char* list, size_t i, const std::string& name) {
  if (name.empty())
    return std::string(list) + "[" + std::to_string(i) + "]";
  return std::string(list) + "." + name;
}

// Names must be unique, present and well-formed; shared by resources, types and jobs.
template <class T>
void validate_names(const char* list, const std::vector<T>& items, ValidationResult& out) {
  std::map<std::string, size_t> seen;
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string& name = items[i].name;
    std::string id = identifier_of(list, i, name);
    if (!name.empty()) {
      if (auto w = validate_identifier(name, id))
        out.warnings.push_back(*w);
    }
    if (auto it = seen.find(name); it != seen.end() && !name.empty())
      out.errors.push_back(std::string(list) + "[" + std::to_string(it->second) + "] and " + list +
                           "[" + std::to_string(i) + "] have the same name ('" + name + "')");
    else if (!name.empty())
      seen[name] = i;
    if (name.empty())
      out.errors.push_back(id + " has no name");
  }
}

void check_interval(const std::string& id, const char* field, const std::string& value,
                    bool allow_never, ValidationResult& out) {
  if (value.empty() || has_var(value) || (allow_never && value == "never"))
    return;
  if (!is_duration(value))
    out.errors.push_back(id + " has invalid " + field + ": '" + value + "'");
}

void validate_resources(const Pipeline& p, ValidationResult& out) {
  validate_names("resources", p.resources, out);
  for (size_t i = 0; i < p.resources.size(); ++i) {
    const Resource& r = p.resources[i];
    std::string id = identifier_of("resources", i, r.name);
    if (r.type.empty())
      out.errors.push_back(id + " has no type");
    check_interval(id, "check_every", r.check_every, true, out);
    check_interval(id, "check_timeout", r.check_timeout, false, out);
  }
  for (const Resource& r : p.resources) {
    bool used = std::any_of(p.jobs.begin(), p.jobs.end(),
                            [&](const Job& j) { return detail::job_uses(j, r.name); });
    if (!used)
      out.errors.push_back("resource '" + r.name + "' is not used");
  }
}

void validate_types(const char* list, const std::vector<ResourceType>& types,
                    ValidationResult& out) {
  validate_names(list, types, out);
  for (size_t i = 0; i < types.size(); ++i) {
    std::string id = identifier_of(list, i, types[i].name);
    if (types[i].type.empty())
      out.errors.push_back(id + " has no type");
    check_interval(id, "check_every", types[i].check_every, true, out);
  }
}

void validate_groups(const Pipeline& p, ValidationResult& out) {
  std::map<std::string, int> counts;
  std::set<std::string> grouped;
  for (size_t i = 0; i < p.groups.size(); ++i) {
    const Group& g = p.groups[i];
    if (auto w = validate_identifier(g.name, identifier_of("groups", i, g.name)))
      out.warnings.push_back(*w);
    ++counts[g.name];
    for (const std::string& pattern : g.jobs) {
      bool found = false;
      for (const Job& j : p.jobs) {
        if (glob_match(pattern, j.name)) {
          found = true;
          grouped.insert(j.name);
        }
      }
      if (!found)
        out.errors.push_back("group '" + g.name + "' has unknown job '" + pattern + "'");
    }
    for (const std::string& r : g.resources) {
      if (p.find_resource(r) == nullptr)
        out.errors.push_back("group '" + g.name + "' has unknown resource '" + r + "'");
    }
  }
  for (const auto& [name, count] : counts) {
    if (count > 1)
      out.errors.push_back("group '" + name + "' appears " + std::to_string(count) +
                           " times. Duplicate names are not allowed.");
  }
  if (p.groups.empty())
    return;
  for (const Job& j : p.jobs) {
    if (grouped.count(j.name) == 0)
      out.errors.push_back("job '" + j.name + "' belongs to no group");
  }
}

void validate_retention(const std::string& id, const Job& j, ValidationResult& out) {
  if (j.build_log_retention && j.build_logs_to_retain != 0)
    out.errors.push_back(id + " can't use both build_log_retention and build_logs_to_retain");
  else if (j.build_logs_to_retain < 0)
    out.errors.push_back(
        id + " has negative build_logs_to_retain: " + std::to_string(j.build_logs_to_retain));
  if (!j.build_log_retention)
    return;
  const BuildLogRetention& r = *j.build_log_retention;
  if (r.builds < 0)
    out.errors.push_back(id +
                         " has negative build_log_retention.builds: " + std::to_string(r.builds));
  if (r.days < 0)
    out.errors.push_back(id + " has negative build_log_retention.days: " + std::to_string(r.days));
  if (r.minimum_succeeded_builds < 0)
    out.errors.push_back(id + " has negative build_log_retention.minimum_succeeded_builds: " +
                         std::to_string(r.minimum_succeeded_builds));
  if (r.builds > 0 && r.minimum_succeeded_builds > r.builds)
    out.errors.push_back(id + " has build_log_retention.minimum_succeeded_builds: " +
                         std::to_string(r.minimum_succeeded_builds) +
                         " greater than build_log_retention.builds: " + std::to_string(r.builds));
}

void validate_concurrency(const std::string& id, const Job& j, ValidationResult& out) {
  for (const std::string& g : j.serial_groups) {
    if (g.empty())
      out.errors.push_back(id + " has an empty serial group name");
    else if (auto w = validate_identifier(g, id + ".serial_groups"))
      out.warnings.push_back(*w);
  }
  if (j.max_in_flight && *j.max_in_flight < 0)
    out.errors.push_back(id + " has negative max_in_flight: " + std::to_string(*j.max_in_flight));
  if (j.max_in_flight && (j.serial || !j.serial_groups.empty()))
    out.warnings.push_back({"pipeline", id + ": max_in_flight is ignored because the job is "
                                             "serial (serial or serial_groups is set)"});
}

void validate_jobs(const Pipeline& p, ValidationResult& out) {
  validate_names("jobs", p.jobs, out);
  for (size_t i = 0; i < p.jobs.size(); ++i) {
    const Job& j = p.jobs[i];
    std::string id = identifier_of("jobs", i, j.name);
    validate_retention(id, j, out);
    validate_concurrency(id, j, out);
    // Concourse wraps the plan in a `do` carrying the job's hooks, hence ".plan.do[i]".
    Step wrapper;
    wrapper.core = DoStep{j.plan};
    wrapper.on_success = j.on_success;
    wrapper.on_failure = j.on_failure;
    wrapper.on_error = j.on_error;
    wrapper.on_abort = j.on_abort;
    wrapper.ensure = j.ensure;
    detail::StepValidator validator(p, out, id);
    validator.push(".plan");
    validator.validate(wrapper);
  }
}

void validate_var_sources(const Pipeline& p, ValidationResult& out) {
  static const std::set<std::string> kTypes = {"vault", "dummy", "ssm", "secretsmanager",
                                               "idtoken"};
  std::set<std::string> names;
  for (size_t i = 0; i < p.var_sources.size(); ++i) {
    const VarSource& v = p.var_sources[i];
    if (auto w = validate_identifier(v.name, identifier_of("var_sources", i, v.name)))
      out.warnings.push_back(*w);
    if (kTypes.count(v.type) == 0)
      out.errors.push_back("unknown credential manager type: " + v.type);
    if (!names.insert(v.name).second)
      out.errors.push_back("duplicate var_source name: " + v.name);
  }
}

void validate_display(const Pipeline& p, ValidationResult& out) {
  if (!p.display)
    return;
  const std::string& url = p.display->background_image;
  size_t colon = url.find(':');
  size_t slash = url.find('/');
  if (colon == std::string::npos || (slash != std::string::npos && slash < colon) || has_var(url))
    return;  // relative
  std::string scheme = url.substr(0, colon);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (scheme != "http" && scheme != "https")
    out.errors.push_back("background_image scheme must be either http, https or relative");
}

}  // namespace

namespace detail {

bool is_duration(const std::string& text) {
  try {
    core::parse_duration(text);
    return true;
  } catch (const core::UsageError&) {
    return false;
  }
}

}  // namespace detail

std::optional<ConfigWarning> validate_identifier(const std::string& identifier,
                                                 const std::string& context) {
  if (identifier.empty())
    return ConfigWarning{"invalid_identifier", context + ": identifier cannot be an empty string"};
  std::string bare;
  for (size_t pos = 0; pos < identifier.size();) {
    size_t open = identifier.find("((", pos);
    size_t close = open == std::string::npos ? open : identifier.find("))", open);
    if (close == std::string::npos) {
      bare += identifier.substr(pos);
      break;
    }
    bare += identifier.substr(pos, open - pos);
    pos = close + 2;
  }
  bool templated = bare.size() != identifier.size();
  auto allowed = [](unsigned char c) {
    return c >= 0x80 || std::islower(c) || std::isdigit(c) || c == '-' || c == '_' || c == '.';
  };
  auto warn = [&](const std::string& reason) {
    return ConfigWarning{"invalid_identifier",
                         context + ": '" + identifier + "' is not a valid identifier: " + reason};
  };
  if (!bare.empty() && std::all_of(bare.begin(), bare.end(), ::isdigit))
    return ConfigWarning{"invalid_identifier",
                         context + ": '" + identifier + "' identifier cannot be just numbers"};
  if (bare.empty())
    return std::nullopt;
  auto first = static_cast<unsigned char>(bare[0]);
  if (!templated && !(first >= 0x80 || std::islower(first) || std::isdigit(first)))
    return warn("must start with a lowercase letter or a number");
  for (char c : bare) {
    if (!allowed(static_cast<unsigned char>(c)))
      return warn(std::string("illegal character '") + c + "'");
  }
  return std::nullopt;
}

ValidationResult validate(const Pipeline& pipeline) {
  ValidationResult out;
  validate_groups(pipeline, out);
  validate_resources(pipeline, out);
  validate_types("resource_types", pipeline.resource_types, out);
  validate_types("prototypes", pipeline.prototypes, out);
  validate_var_sources(pipeline, out);
  validate_jobs(pipeline, out);
  validate_display(pipeline, out);
  return out;
}

}  // namespace concourse::atc::config
