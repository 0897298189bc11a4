#include "node.hpp"

#include "errors.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <regex>

namespace concourse::atc::config {
namespace {

// Aliases can nest; a hostile document could nest them without end.
constexpr int kMaxDepth = 512;

Mark mark_of(const YAML::Mark& m) {
  if (m.line < 0 || m.column < 0)
    return {};
  return {m.line + 1, m.column + 1};
}

bool one_of(const std::string& s, std::initializer_list<const char*> words) {
  return std::any_of(words.begin(), words.end(), [&](const char* w) { return s == w; });
}

// Go's yaml.v2 resolver (YAML 1.1), which is what Concourse applies to plain scalars.
nlohmann::json resolve_plain(const std::string& s) {
  if (one_of(s, {"", "~", "null", "Null", "NULL"}))
    return nullptr;
  if (one_of(s, {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"}))
    return true;
  if (one_of(s, {"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"}))
    return false;
  static const std::regex kInt(R"([-+]?(0b[01_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*))");
  static const std::regex kFloat(R"([-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?)");
  if (std::regex_match(s, kInt)) {
    std::string digits;
    std::copy_if(s.begin(), s.end(), std::back_inserter(digits), [](char c) { return c != '_'; });
    bool negative = digits[0] == '-';
    size_t start = (digits[0] == '-' || digits[0] == '+') ? 1 : 0;
    int base = 10;
    if (digits.compare(start, 2, "0b") == 0) {
      base = 2;
      start += 2;
    } else if (digits.compare(start, 2, "0x") == 0) {
      base = 16;
      start += 2;
    } else if (digits.size() - start > 1 && digits[start] == '0') {
      base = 8;  // yaml.v2 reads a leading zero as octal
    }
    errno = 0;
    unsigned long long magnitude = std::strtoull(digits.c_str() + start, nullptr, base);
    if (errno == 0) {
      if (!negative && magnitude > static_cast<unsigned long long>(INT64_MAX))
        return magnitude;
      if (magnitude <= static_cast<unsigned long long>(INT64_MAX))
        return negative ? -static_cast<int64_t>(magnitude) : static_cast<int64_t>(magnitude);
    }
  }
  if (std::regex_match(s, kFloat)) {
    std::string digits;
    std::copy_if(s.begin(), s.end(), std::back_inserter(digits), [](char c) { return c != '_'; });
    double d = std::strtod(digits.c_str(), nullptr);
    if (std::isfinite(d))
      return d;
  }
  return s;  // .inf and .nan have no JSON form, so they stay text
}

nlohmann::json resolve(const YAML::Node& n) {
  const std::string& tag = n.Tag();
  if (tag == "!" || tag == "tag:yaml.org,2002:str")
    return n.Scalar();
  return resolve_plain(n.Scalar());
}

[[noreturn]] void fail(const YAML::Node& n, const std::string& message) {
  throw ParseError({ConfigError{"", mark_of(n.Mark()), message}});
}

Node convert(const YAML::Node& n, int depth);

void merge_into(Node& out, const Node& source, const YAML::Node& at) {
  if (source.is_sequence()) {
    for (const Node& item : source.items())
      merge_into(out, item, at);
    return;
  }
  if (!source.is_map())
    fail(at, "map merge requires a map or a sequence of maps as the value");
  for (const Node::Entry& e : source.entries()) {
    if (out.find(e.key) == nullptr)
      out.entries().push_back(e);
  }
}

Node convert_map(const YAML::Node& n, int depth) {
  Node out = Node::map(mark_of(n.Mark()));
  std::vector<std::pair<Node, YAML::Node>> merges;
  for (YAML::const_iterator it = n.begin(); it != n.end(); ++it) {
    // Copies: yaml-cpp's iterator hands out temporaries that must not be referenced.
    YAML::detail::iterator_value kv = *it;
    YAML::Node key = kv.first;
    if (!key.IsScalar())
      fail(key, "map keys must be scalars");
    Node value = convert(kv.second, depth + 1);
    if (key.Scalar() == "<<" && key.Tag() == "?") {
      merges.emplace_back(std::move(value), key);
      continue;
    }
    out.set(key.Scalar(), std::move(value), mark_of(key.Mark()));
  }
  // Explicit keys win over merged ones, and an earlier merge wins over a later one.
  for (const auto& [source, at] : merges)
    merge_into(out, source, at);
  return out;
}

Node convert(const YAML::Node& n, int depth) {
  if (depth > kMaxDepth)
    fail(n, "document nests too deeply");
  switch (n.Type()) {
    case YAML::NodeType::Scalar: {
      nlohmann::json v = resolve(n);
      if (v.is_null())
        return Node::from_json(nullptr, mark_of(n.Mark()));
      return Node::scalar(std::move(v), n.Scalar(), mark_of(n.Mark()));
    }
    case YAML::NodeType::Sequence: {
      Node out = Node::sequence(mark_of(n.Mark()));
      for (YAML::const_iterator it = n.begin(); it != n.end(); ++it) {
        YAML::Node item = *it;
        out.push(convert(item, depth + 1));
      }
      return out;
    }
    case YAML::NodeType::Map:
      return convert_map(n, depth);
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      break;
  }
  return Node::from_json(nullptr, mark_of(n.Mark()));
}

}  // namespace

Node Node::scalar(nlohmann::json value, std::string text, Mark mark) {
  Node n;
  n.kind_ = Kind::kScalar;
  n.value_ = std::move(value);
  n.text_ = std::move(text);
  n.mark_ = mark;
  return n;
}

Node Node::sequence(Mark mark) {
  Node n;
  n.kind_ = Kind::kSequence;
  n.mark_ = mark;
  return n;
}

Node Node::map(Mark mark) {
  Node n;
  n.kind_ = Kind::kMap;
  n.mark_ = mark;
  return n;
}

const Node* Node::find(std::string_view key) const {
  for (const Entry& e : entries_) {
    if (e.key == key)
      return &e.value;
  }
  return nullptr;
}

void Node::set(std::string key, Node value, Mark key_mark) {
  for (Entry& e : entries_) {
    if (e.key == key) {
      e.value = std::move(value);
      e.key_mark = key_mark;
      return;
    }
  }
  entries_.push_back(Entry{std::move(key), key_mark, std::move(value)});
}

nlohmann::json Node::to_json() const {
  switch (kind_) {
    case Kind::kNull:
      return nullptr;
    case Kind::kScalar:
      return value_;
    case Kind::kSequence: {
      nlohmann::json out = nlohmann::json::array();
      for (const Node& item : items_)
        out.push_back(item.to_json());
      return out;
    }
    case Kind::kMap: {
      nlohmann::json out = nlohmann::json::object();
      for (const Entry& e : entries_)
        out[e.key] = e.value.to_json();
      return out;
    }
  }
  return nullptr;
}

Node Node::from_json(const nlohmann::json& value, Mark mark) {
  if (value.is_null()) {
    Node n;
    n.mark_ = mark;
    return n;
  }
  if (value.is_array()) {
    Node n = sequence(mark);
    for (const auto& item : value)
      n.push(from_json(item, mark));
    return n;
  }
  if (value.is_object()) {
    Node n = map(mark);
    for (const auto& [k, v] : value.items())
      n.entries_.push_back(Entry{k, mark, from_json(v, mark)});
    return n;
  }
  std::string text = value.is_string() ? value.get<std::string>() : value.dump();
  return scalar(value, std::move(text), mark);
}

Node load_yaml(std::string_view text) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    throw ParseError({ConfigError{"", mark_of(e.mark), e.msg}});
  }
  return convert(root, 0);
}

}  // namespace concourse::atc::config
