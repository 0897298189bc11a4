// The build's local var source ".": values that load_var sets and across binds, written
// `((.:name))` or `((.:name.field))`. Pipeline vars were substituted when the pipeline was set;
// local vars only exist while the build runs, so each step's plan is resolved just before it
// runs. Values not marked `reveal` are redacted from the build's log lines.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "atc/config/vars.hpp"

namespace concourse::atc::engine {

using LocalLookup = std::function<std::optional<nlohmann::json>(const config::VarRef&)>;

// A copy of doc with every local var that lookup resolves substituted: a string that is exactly
// one var takes the value's type, a var inside a longer string becomes text. Other vars stay.
// across templates (JSON text under "substep_template") are resolved inside as well.
nlohmann::json substitute_local_vars(const nlohmann::json& doc, const LocalLookup& lookup);

// The local vars still written in doc (not looking into substep_template), in order.
std::vector<std::string> unresolved_local_vars(const nlohmann::json& doc);

// The value at ref's fields inside value, or nullopt when a field is missing.
std::optional<nlohmann::json> descend(const nlohmann::json& value, const config::VarRef& ref);

class LocalVars {
 public:
  void set(const std::string& name, nlohmann::json value, bool reveal);
  std::optional<nlohmann::json> lookup(const config::VarRef& ref) const;
  bool empty() const;
  // doc with the vars set so far substituted.
  nlohmann::json resolve(const nlohmann::json& doc) const;
  // text with every unrevealed value replaced by "((redacted))".
  std::string redact(const std::string& text) const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, nlohmann::json> values_;
  std::vector<std::string> secrets_;
};

}  // namespace concourse::atc::engine
