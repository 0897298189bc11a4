#include "decoder.hpp"

#include <algorithm>
#include <cctype>
#include <regex>

namespace concourse::atc::config::detail {
namespace {

const char* kind_name(const Node& v) {
  switch (v.kind()) {
    case Node::Kind::kNull:
      return "null";
    case Node::Kind::kSequence:
      return "a list";
    case Node::Kind::kMap:
      return "a map";
    case Node::Kind::kScalar:
      break;
  }
  if (v.value().is_boolean())
    return "a boolean";
  if (v.value().is_number())
    return "a number";
  return "a string";
}

bool is_placeholder(const Node& v) {
  static const std::regex kVar(R"(^\(\([^()]+\)\)$)");
  return v.is_string() && std::regex_match(v.value().get_ref<const std::string&>(), kVar);
}

bool non_negative(const Node& v, uint64_t& out) {
  if (!v.is_scalar() || !v.value().is_number_integer())
    return false;
  if (v.value().is_number_unsigned()) {
    out = v.value().get<uint64_t>();
    return true;
  }
  if (v.value().get<int64_t>() < 0)
    return false;
  out = static_cast<uint64_t>(v.value().get<int64_t>());
  return true;
}

// Concourse's memory limits: a byte count, or digits with a k/m/g (1024-based) suffix.
bool parse_memory(const Node& v, uint64_t& out) {
  if (v.is_scalar() && v.value().is_number_integer())
    return non_negative(v, out);
  static const std::regex kMemory(R"(^([0-9]+)\s*(k|m|g|kb|mb|gb)?$)", std::regex::icase);
  std::smatch m;
  if (!v.is_string() || !std::regex_match(v.value().get_ref<const std::string&>(), m, kMemory))
    return false;
  uint64_t n = std::stoull(m[1].str());
  std::string unit = m[2].str();
  char u =
      unit.empty() ? 'b' : static_cast<char>(std::tolower(static_cast<unsigned char>(unit[0])));
  int shift = u == 'k' ? 10 : u == 'm' ? 20 : u == 'g' ? 30 : 0;
  out = n << shift;
  return true;
}

}  // namespace

std::string child_path(const std::string& path, std::string_view key) {
  if (path.empty())
    return std::string(key);
  return path + "." + std::string(key);
}

std::string index_path(const std::string& path, size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

void Decoder::error(const Node& at, const std::string& path, std::string message) {
  error(at.mark(), path, std::move(message));
}

void Decoder::error(Mark at, const std::string& path, std::string message) {
  errors_.push_back(ConfigError{path, at, std::move(message)});
}

void Decoder::type_error(const Node& v, const std::string& path, const char* expected) {
  std::string message = std::string("expected ") + expected + ", got ";
  if (is_placeholder(v))
    message += "unresolved var " + v.text() + " (typed fields need their vars before parsing)";
  else
    message += kind_name(v);
  error(v, path, std::move(message));
}

bool Decoder::expect_map(const Node& n, const std::string& path) {
  if (n.is_map())
    return true;
  type_error(n, path, "a map");
  return false;
}

bool Decoder::expect_sequence(const Node& n, const std::string& path) {
  if (n.is_sequence())
    return true;
  type_error(n, path, "a list");
  return false;
}

bool Decoder::expect_fields(const Node& n, const std::string& path,
                            std::initializer_list<std::string_view> allowed) {
  if (!expect_map(n, path))
    return false;
  for (const Node::Entry& e : n.entries()) {
    if (std::find(allowed.begin(), allowed.end(), e.key) == allowed.end())
      error(e.key_mark, child_path(path, e.key), "unknown field");
  }
  return true;
}

bool Decoder::read(const Node& v, const std::string& path, std::string& out) {
  if (!v.is_scalar()) {
    type_error(v, path, "a string");
    return false;
  }
  // Concourse's YAML-to-JSON step turns numbers and booleans into text for string fields.
  out = v.is_string() ? v.value().get<std::string>() : v.text();
  return true;
}

bool Decoder::read(const Node& v, const std::string& path, bool& out) {
  if (!v.is_scalar() || !v.value().is_boolean()) {
    type_error(v, path, "a boolean");
    return false;
  }
  out = v.value().get<bool>();
  return true;
}

bool Decoder::read(const Node& v, const std::string& path, int& out) {
  if (!v.is_scalar() || !v.value().is_number_integer()) {
    type_error(v, path, "an integer");
    return false;
  }
  int64_t n = v.value().get<int64_t>();
  if (n < INT32_MIN || n > INT32_MAX) {
    error(v, path, "integer out of range");
    return false;
  }
  out = static_cast<int>(n);
  return true;
}

bool Decoder::read(const Node& v, const std::string& path, std::vector<std::string>& out) {
  if (!expect_sequence(v, path))
    return false;
  out.clear();
  bool ok = true;
  for (size_t i = 0; i < v.items().size(); ++i) {
    std::string s;
    ok = read(v.items()[i], index_path(path, i), s) && ok;
    out.push_back(std::move(s));
  }
  return ok;
}

bool Decoder::read(const Node& v, const std::string& path, StringMap& out) {
  if (!expect_map(v, path))
    return false;
  out.clear();
  bool ok = true;
  for (const Node::Entry& e : v.entries()) {
    std::string s;
    ok = read(e.value, child_path(path, e.key), s) && ok;
    out[e.key] = std::move(s);
  }
  return ok;
}

bool Decoder::read(const Node& v, const std::string&, Json& out) {
  out = v.to_json();
  return true;
}

bool Decoder::read_limits(const Node& v, const std::string& path, ContainerLimits& out) {
  if (!expect_fields(v, path, {"cpu", "memory"}))
    return false;
  bool ok = true;
  if (const Node* cpu = v.find("cpu"); cpu != nullptr && !cpu->is_null()) {
    uint64_t shares = 0;
    if (non_negative(*cpu, shares)) {
      out.cpu = shares;
    } else {
      type_error(*cpu, child_path(path, "cpu"), "a non-negative integer");
      ok = false;
    }
  }
  if (const Node* mem = v.find("memory"); mem != nullptr && !mem->is_null()) {
    uint64_t bytes = 0;
    if (parse_memory(*mem, bytes)) {
      out.memory = bytes;
    } else {
      error(*mem, child_path(path, "memory"),
            "expected a byte count or a size such as '512mb' or '1GB', got '" + mem->text() + "'");
      ok = false;
    }
  }
  return ok;
}

bool Decoder::required(const Node& map, std::string_view key, const std::string& path,
                       std::string& out) {
  if (field(map, key, path, out))
    return true;
  if (map.find(key) == nullptr || map.find(key)->is_null())
    error(map, child_path(path, key), "missing required field");
  return false;
}

}  // namespace concourse::atc::config::detail
