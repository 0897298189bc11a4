#include "local_vars.hpp"

#include <algorithm>
#include <cctype>

#include "context.hpp"
#include "steps.hpp"

namespace concourse::atc::engine {
namespace {

using nlohmann::json;

// The placeholder alphabet of config/vars.cpp: word characters, non-ASCII and -/.:@"
bool var_char(char c) {
  auto u = static_cast<unsigned char>(c);
  return u >= 0x80 || std::isalnum(u) || c == '_' || c == '-' || c == '/' || c == '.' || c == ':' ||
         c == '@' || c == '"';
}

struct Span {
  size_t begin, end;  // "((" .. past "))"
  config::VarRef ref;
};

std::vector<Span> local_spans(const std::string& s) {
  std::vector<Span> out;
  size_t pos = 0;
  while ((pos = s.find("((", pos)) != std::string::npos) {
    size_t close = s.find("))", pos + 2);
    if (close == std::string::npos)
      break;
    std::string_view inner(s.data() + pos + 2, close - pos - 2);
    std::optional<config::VarRef> ref;
    if (!inner.empty() && std::all_of(inner.begin(), inner.end(), var_char))
      ref = config::VarRef::parse(inner);
    if (ref && ref->is_local()) {
      out.push_back(Span{pos, close + 2, std::move(*ref)});
      pos = close + 2;
    } else {
      pos += ref ? close + 2 - pos : 1;
    }
  }
  return out;
}

std::string as_text(const json& v, const config::VarRef& ref) {
  if (v.is_string())
    return v.get<std::string>();
  if (v.is_null())
    return "";
  if (v.is_primitive())
    return v.dump();
  throw StepError("cannot interpolate non-primitive value of var ((" + ref.text +
                  ")) into a string");
}

json substitute_string(const std::string& s, const LocalLookup& lookup) {
  std::vector<Span> spans = local_spans(s);
  if (spans.empty())
    return s;
  if (spans.size() == 1 && spans[0].begin == 0 && spans[0].end == s.size()) {
    auto v = lookup(spans[0].ref);
    return v ? *v : json(s);
  }
  std::string out;
  size_t last = 0;
  for (const Span& span : spans) {
    out.append(s, last, span.begin - last);
    auto v = lookup(span.ref);
    out += v ? as_text(*v, span.ref) : s.substr(span.begin, span.end - span.begin);
    last = span.end;
  }
  out.append(s, last, std::string::npos);
  return out;
}

void collect(const json& doc, std::vector<std::string>& out) {
  if (doc.is_string()) {
    for (const Span& span : local_spans(doc.get_ref<const std::string&>())) {
      if (std::find(out.begin(), out.end(), span.ref.text) == out.end())
        out.push_back(span.ref.text);
    }
  } else if (doc.is_structured()) {
    for (const auto& [key, value] : doc.items()) {
      if (key != "substep_template")
        collect(value, out);
    }
  }
}

void add_secrets(const json& v, std::vector<std::string>& out) {
  if (v.is_structured()) {
    for (const auto& item : v)
      add_secrets(item, out);
  } else if (v.is_string() && !v.get_ref<const std::string&>().empty()) {
    out.push_back(v.get<std::string>());
  } else if (v.is_number()) {
    out.push_back(v.dump());
  }
}

}  // namespace

json substitute_local_vars(const json& doc, const LocalLookup& lookup) {
  if (doc.is_string())
    return substitute_string(doc.get_ref<const std::string&>(), lookup);
  if (doc.is_array()) {
    json out = json::array();
    for (const auto& item : doc)
      out.push_back(substitute_local_vars(item, lookup));
    return out;
  }
  if (!doc.is_object())
    return doc;
  json out = json::object();
  for (const auto& [key, value] : doc.items()) {
    if (key == "substep_template" && value.is_string())
      out[key] = substitute_local_vars(json::parse(value.get<std::string>()), lookup).dump();
    else
      out[key] = substitute_local_vars(value, lookup);
  }
  return out;
}

std::vector<std::string> unresolved_local_vars(const json& doc) {
  std::vector<std::string> out;
  collect(doc, out);
  return out;
}

std::optional<json> descend(const json& value, const config::VarRef& ref) {
  const json* at = &value;
  for (const std::string& field : ref.fields) {
    if (!at->is_object() || !at->contains(field))
      return std::nullopt;
    at = &(*at)[field];
  }
  return *at;
}

void LocalVars::set(const std::string& name, json value, bool reveal) {
  std::lock_guard lock(mu_);
  if (!reveal) {
    add_secrets(value, secrets_);
    // Longest first, so a secret containing another is replaced whole.
    std::sort(secrets_.begin(), secrets_.end(),
              [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  }
  values_[name] = std::move(value);
}

std::optional<json> LocalVars::lookup(const config::VarRef& ref) const {
  std::lock_guard lock(mu_);
  auto it = values_.find(ref.path);
  if (it == values_.end())
    return std::nullopt;
  return descend(it->second, ref);
}

bool LocalVars::empty() const {
  std::lock_guard lock(mu_);
  return values_.empty();
}

json LocalVars::resolve(const json& doc) const {
  return substitute_local_vars(doc, [this](const config::VarRef& ref) { return lookup(ref); });
}

std::string LocalVars::redact(const std::string& text) const {
  std::lock_guard lock(mu_);
  if (secrets_.empty())
    return text;
  std::string out = text;
  for (const std::string& secret : secrets_) {
    for (size_t pos = 0; (pos = out.find(secret, pos)) != std::string::npos;) {
      out.replace(pos, secret.size(), "((redacted))");
      pos += 12;
    }
  }
  return out;
}

// Only steps that do work are resolved (and must be complete); do, in_parallel and the hooks
// keep their vars until the step inside them runs, after the load_var before it.
const json& with_local_vars(BuildContext& ctx, const json& plan, json& storage) {
  static constexpr const char* kLeaves[] = {"get",          "put",      "task",
                                            "set_pipeline", "load_var", "across"};
  const char* leaf = nullptr;
  for (const char* key : kLeaves) {
    if (plan.contains(key))
      leaf = key;
  }
  if (leaf == nullptr)
    return plan;
  const json& body = plan[leaf];
  if (!ctx.locals.empty()) {
    storage = ctx.locals.resolve(plan);
  } else if (unresolved_local_vars(body).empty()) {
    return plan;
  } else {
    storage = plan;
  }
  // across leaves its template's vars to the iterations; only its values must be known.
  const json& checked =
      std::string(leaf) == "across" ? storage[leaf].value("vars", json()) : storage[leaf];
  auto missing = unresolved_local_vars(checked);
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing)
      list += " ((" + m + "))";
    throw StepError("undefined local vars:" + list);
  }
  return storage;
}

}  // namespace concourse::atc::engine
