// `((var))` interpolation over a parsed document, as fly does before uploading a pipeline:
// a value that is exactly one var takes the var's type, a var inside a longer string becomes
// text. Vars nobody can resolve now are left in place for the ATC's credential managers, unless
// the caller is strict. Local vars (`((.:name))`, set by load_var and across) are always left.
#pragma once

#include "core/error.hpp"
#include "node.hpp"

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace concourse::atc::config {

// `((source:path.field.sub))`; path segments may be double-quoted to hold dots or colons.
struct VarRef {
  std::string source;               // empty: none; "." for local vars
  std::string path;                 // the var's name within its source
  std::vector<std::string> fields;  // descended into the value
  std::string text;                 // what was written between the parentheses

  // "source:path" or "path": the name users pass to `--var`.
  std::string name() const { return source.empty() ? path : source + ":" + path; }
  bool is_local() const { return source == "."; }
  static std::optional<VarRef> parse(std::string_view inner);
};

class Variables {
 public:
  virtual ~Variables() = default;
  // The value at ref's path and fields, or nullopt when this source does not define it.
  virtual std::optional<Json> lookup(const VarRef& ref) const = 0;
};

// Vars from fly's flags: `--var NAME=VALUE` (a string), `--yaml-var NAME=YAML` (typed) and
// `--load-vars-from FILE` (a YAML map). A dotted NAME sets a field of a map var.
class StaticVariables : public Variables {
 public:
  void set(const std::string& name, Json value);
  void add_var(std::string_view assignment);       // throws core::Error on a missing '='
  void add_yaml_var(std::string_view assignment);  // throws ParseError on bad YAML
  void load_yaml(std::string_view text);           // a YAML map of name -> value
  void load_file(const std::string& path);

  std::optional<Json> lookup(const VarRef& ref) const override;

 private:
  std::map<std::string, Json> values_;
};

class UndefinedVarsError : public core::Error {
 public:
  explicit UndefinedVarsError(std::vector<std::string> names);
  const std::vector<std::string>& names() const { return names_; }

 private:
  std::vector<std::string> names_;
};

struct InterpolateOptions {
  // Fail with UndefinedVarsError (naming every missing var) instead of leaving them in place.
  bool strict = false;
};

// Returns a copy of `doc` with vars substituted; positions of replaced values are kept.
// Throws UndefinedVarsError (strict only) and ParseError (a map or list var inside a string).
Node interpolate(const Node& doc, const Variables& vars, const InterpolateOptions& options = {});

// Every var reference in the document, in document order, duplicates removed.
std::vector<VarRef> find_vars(const Node& doc);

}  // namespace concourse::atc::config
