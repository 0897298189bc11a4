#include "vars.hpp"

#include "errors.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

namespace concourse::atc::config {
namespace {

// Concourse's placeholder alphabet: word characters, letters beyond ASCII, and -/.:@"
bool var_char(char c) {
  auto u = static_cast<unsigned char>(c);
  return u >= 0x80 || std::isalnum(u) || c == '_' || c == '-' || c == '/' || c == '.' || c == ':' ||
         c == '@' || c == '"';
}

struct Span {
  size_t begin;  // at "(("
  size_t end;    // past "))"
  VarRef ref;
};

std::vector<Span> scan(const std::string& s) {
  std::vector<Span> out;
  size_t pos = 0;
  while ((pos = s.find("((", pos)) != std::string::npos) {
    size_t close = s.find("))", pos + 2);
    if (close == std::string::npos)
      break;
    std::string_view inner(s.data() + pos + 2, close - pos - 2);
    std::optional<VarRef> ref;
    if (!inner.empty() && std::all_of(inner.begin(), inner.end(), var_char))
      ref = VarRef::parse(inner);
    if (ref) {
      out.push_back(Span{pos, close + 2, std::move(*ref)});
      pos = close + 2;
    } else {
      pos += 1;  // "(((x))" still holds a var one character later
    }
  }
  return out;
}

std::vector<std::string> split_path(std::string_view s) {
  std::vector<std::string> parts(1);
  bool quoted = false;
  for (char c : s) {
    if (c == '"')
      quoted = !quoted;
    else if (c == '.' && !quoted)
      parts.emplace_back();
    else
      parts.back() += c;
  }
  return parts;
}

std::string as_text(const Json& v, const VarRef& ref, Mark at) {
  if (v.is_string())
    return v.get<std::string>();
  if (v.is_null())
    return "";
  if (v.is_primitive())
    return v.dump();
  throw ParseError({ConfigError{
      "", at, "cannot interpolate non-primitive value of var ((" + ref.text + ")) into a string"}});
}

class Interpolator {
 public:
  Interpolator(const Variables& vars, bool strict) : vars_(vars), strict_(strict) {}

  Node walk(const Node& n) {
    if (n.is_string())
      return string_node(n);
    Node out = n;
    if (n.is_sequence()) {
      for (Node& item : out.items())
        item = walk(item);
    } else if (n.is_map()) {
      for (Node::Entry& e : out.entries()) {
        e.key = embed(e.key, e.key_mark);
        e.value = walk(e.value);
      }
    }
    return out;
  }

  void finish() const {
    if (!missing_.empty())
      throw UndefinedVarsError(missing_);
  }

 private:
  std::optional<Json> resolve(const VarRef& ref) {
    if (ref.is_local())
      return std::nullopt;
    std::optional<Json> v = vars_.lookup(ref);
    if (!v && strict_ && std::find(missing_.begin(), missing_.end(), ref.text) == missing_.end())
      missing_.push_back(ref.text);
    return v;
  }

  Node string_node(const Node& n) {
    const std::string& s = n.value().get_ref<const std::string&>();
    std::vector<Span> spans = scan(s);
    if (spans.size() == 1 && spans[0].begin == 0 && spans[0].end == s.size()) {
      std::optional<Json> v = resolve(spans[0].ref);
      return v ? Node::from_json(*v, n.mark()) : n;
    }
    if (spans.empty())
      return n;
    std::string text = embed(s, n.mark());
    return Node::scalar(text, text, n.mark());
  }

  std::string embed(const std::string& s, Mark at) {
    std::vector<Span> spans = scan(s);
    std::string out;
    size_t last = 0;
    for (const Span& span : spans) {
      out.append(s, last, span.begin - last);
      std::optional<Json> v = resolve(span.ref);
      out += v ? as_text(*v, span.ref, at) : s.substr(span.begin, span.end - span.begin);
      last = span.end;
    }
    out.append(s, last, std::string::npos);
    return out;
  }

  const Variables& vars_;
  bool strict_;
  std::vector<std::string> missing_;
};

void collect(const Node& n, std::vector<VarRef>& out, std::set<std::string>& seen) {
  auto add_all = [&](const std::string& s) {
    for (Span& span : scan(s)) {
      if (seen.insert(span.ref.text).second)
        out.push_back(std::move(span.ref));
    }
  };
  if (n.is_string()) {
    add_all(n.value().get<std::string>());
  } else if (n.is_sequence()) {
    for (const Node& item : n.items())
      collect(item, out, seen);
  } else if (n.is_map()) {
    for (const Node::Entry& e : n.entries()) {
      add_all(e.key);
      collect(e.value, out, seen);
    }
  }
}

std::pair<std::string, std::string_view> split_assignment(std::string_view a) {
  size_t eq = a.find('=');
  if (eq == std::string_view::npos || eq == 0)
    throw core::Error(CC_E_INVALID, "invalid var '" + std::string(a) + "': expected NAME=VALUE");
  return {std::string(a.substr(0, eq)), a.substr(eq + 1)};
}

}  // namespace

std::optional<VarRef> VarRef::parse(std::string_view inner) {
  VarRef ref;
  ref.text = std::string(inner);
  size_t colon = inner.find(':');
  size_t quote = inner.find('"');
  if (colon != std::string_view::npos && colon > 0 &&
      (quote == std::string_view::npos || colon < quote)) {
    ref.source = std::string(inner.substr(0, colon));
    inner.remove_prefix(colon + 1);
  }
  std::vector<std::string> parts = split_path(inner);
  if (parts[0].empty())
    return std::nullopt;
  ref.path = parts[0];
  ref.fields.assign(parts.begin() + 1, parts.end());
  return ref;
}

void StaticVariables::set(const std::string& name, Json value) {
  std::vector<std::string> parts = split_path(name);
  Json* at = &values_[parts[0]];
  for (size_t i = 1; i < parts.size(); ++i) {
    if (!at->is_object())
      *at = Json::object();
    at = &(*at)[parts[i]];
  }
  *at = std::move(value);
}

void StaticVariables::add_var(std::string_view assignment) {
  auto [name, value] = split_assignment(assignment);
  set(name, std::string(value));
}

void StaticVariables::add_yaml_var(std::string_view assignment) {
  auto [name, value] = split_assignment(assignment);
  set(name, config::load_yaml(value).to_json());
}

void StaticVariables::load_yaml(std::string_view text) {
  Node doc = config::load_yaml(text);
  if (doc.is_null())
    return;
  if (!doc.is_map())
    throw ParseError({ConfigError{"", doc.mark(), "vars file must be a map of names to values"}});
  for (const Node::Entry& e : doc.entries())
    values_[e.key] = e.value.to_json();
}

void StaticVariables::load_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw core::Error(CC_E_NOT_FOUND, "cannot read vars file " + path);
  std::ostringstream text;
  text << in.rdbuf();
  load_yaml(text.str());
}

std::optional<Json> StaticVariables::lookup(const VarRef& ref) const {
  auto it = values_.find(ref.name());
  if (it == values_.end())
    return std::nullopt;
  const Json* at = &it->second;
  for (const std::string& field : ref.fields) {
    if (!at->is_object() || !at->contains(field))
      return std::nullopt;
    at = &(*at)[field];
  }
  return *at;
}

UndefinedVarsError::UndefinedVarsError(std::vector<std::string> names)
    : core::Error(CC_E_INVALID,
                  [&] {
                    std::string message = "undefined vars:";
                    for (const std::string& n : names)
                      message += " ((" + n + "))";
                    return message;
                  }()),
      names_(std::move(names)) {}

Node interpolate(const Node& doc, const Variables& vars, const InterpolateOptions& options) {
  Interpolator interpolator(vars, options.strict);
  Node out = interpolator.walk(doc);
  interpolator.finish();
  return out;
}

std::vector<VarRef> find_vars(const Node& doc) {
  std::vector<VarRef> out;
  std::set<std::string> seen;
  collect(doc, out, seen);
  return out;
}

}  // namespace concourse::atc::config
