// A YAML document as a small tree that remembers where every value came from, so that decoding,
// variable interpolation and validation can all report `line N, column M` long after yaml-cpp's
// nodes are gone. Scalars are typed the way Go's yaml.v2 (Concourse's parser) types them: YAML 1.1
// booleans (`yes`, `on`), ints, floats and null; quoted scalars are always strings.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace concourse::atc::config {

using Json = nlohmann::json;

// 1-based; 0 when the value did not come from text (JSON input, an interpolated var).
struct Mark {
  int line = 0;
  int column = 0;
};

class Node {
 public:
  enum class Kind { kNull, kScalar, kSequence, kMap };
  struct Entry;

  Node() = default;
  static Node scalar(nlohmann::json value, std::string text, Mark mark);
  static Node sequence(Mark mark);
  static Node map(Mark mark);

  Kind kind() const { return kind_; }
  bool is_null() const { return kind_ == Kind::kNull; }
  bool is_scalar() const { return kind_ == Kind::kScalar; }
  bool is_sequence() const { return kind_ == Kind::kSequence; }
  bool is_map() const { return kind_ == Kind::kMap; }
  bool is_string() const { return kind_ == Kind::kScalar && value_.is_string(); }

  // Scalar value (null for kNull), and the text it was written as (for string coercion).
  const nlohmann::json& value() const { return value_; }
  const std::string& text() const { return text_; }
  Mark mark() const { return mark_; }
  void set_mark(Mark mark) { mark_ = mark; }

  const std::vector<Node>& items() const { return items_; }
  std::vector<Node>& items() { return items_; }
  const std::vector<Entry>& entries() const { return entries_; }
  std::vector<Entry>& entries() { return entries_; }

  // Map lookup; nullptr when absent (or when this is not a map).
  const Node* find(std::string_view key) const;
  // Replaces an existing key's value or appends a new entry.
  void set(std::string key, Node value, Mark key_mark = {});
  void push(Node item) { items_.push_back(std::move(item)); }

  nlohmann::json to_json() const;
  static Node from_json(const nlohmann::json& value, Mark mark = {});

 private:
  Kind kind_ = Kind::kNull;
  nlohmann::json value_;
  std::string text_;
  Mark mark_;
  std::vector<Node> items_;
  std::vector<Entry> entries_;
};

struct Node::Entry {
  std::string key;
  Mark key_mark;
  Node value;
};

// Parses one YAML (or JSON) document. Merge keys (`<<`) are applied, later anchors shadow earlier
// ones, and a repeated key keeps its last value, as Go's yaml.v2 does. An empty document is a null
// node. Throws ParseError (see errors.hpp) on malformed YAML.
Node load_yaml(std::string_view text);

}  // namespace concourse::atc::config
