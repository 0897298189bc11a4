#include "resource.hpp"

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

namespace concourse::resource {

namespace {

json object_or_empty(const json& root, const char* key) {
  auto it = root.find(key);
  if (it == root.end() || it->is_null()) {
    return json::object();
  }
  if (!it->is_object()) {
    throw Error(std::string("invalid payload: '") + key + "' must be an object");
  }
  return *it;
}

const json* field(const json& obj, std::string_view key) {
  if (!obj.is_object()) {
    return nullptr;
  }
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    return nullptr;
  }
  return &*it;
}

}  // namespace

Request parse_request(std::string_view text) {
  json root;
  try {
    root = json::parse(text);
  } catch (const json::parse_error& e) {
    throw Error(std::string("invalid payload: ") + e.what());
  }
  if (!root.is_object()) {
    throw Error("invalid payload: expected a JSON object");
  }
  Request req;
  req.source = object_or_empty(root, "source");
  req.params = object_or_empty(root, "params");
  req.version = object_or_empty(root, "version");
  req.raw = root;
  return req;
}

Request read_request(std::istream& in) {
  std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  return parse_request(text);
}

bool has(const json& obj, std::string_view key) {
  return field(obj, key) != nullptr;
}

std::string get_string(const json& obj, std::string_view key, std::string_view fallback) {
  const json* v = field(obj, key);
  if (v == nullptr) {
    return std::string(fallback);
  }
  if (v->is_string()) {
    return v->get<std::string>();
  }
  // YAML often turns versions such as 2026 into numbers; Concourse passes them through as such.
  if (v->is_number()) {
    return v->dump();
  }
  throw Error("invalid field '" + std::string(key) + "': expected a string");
}

bool get_bool(const json& obj, std::string_view key, bool fallback) {
  const json* v = field(obj, key);
  if (v == nullptr) {
    return fallback;
  }
  if (!v->is_boolean()) {
    throw Error("invalid field '" + std::string(key) + "': expected a boolean");
  }
  return v->get<bool>();
}

long long get_int(const json& obj, std::string_view key, long long fallback) {
  const json* v = field(obj, key);
  if (v == nullptr) {
    return fallback;
  }
  if (!v->is_number_integer()) {
    throw Error("invalid field '" + std::string(key) + "': expected an integer");
  }
  return v->get<long long>();
}

std::vector<std::string> get_string_list(const json& obj, std::string_view key) {
  const json* v = field(obj, key);
  if (v == nullptr) {
    return {};
  }
  if (!v->is_array()) {
    throw Error("invalid field '" + std::string(key) + "': expected an array of strings");
  }
  std::vector<std::string> out;
  for (const auto& item : *v) {
    if (!item.is_string()) {
      throw Error("invalid field '" + std::string(key) + "': expected an array of strings");
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

json metadata_field(std::string name, std::string value) {
  return json{{"name", std::move(name)}, {"value", std::move(value)}};
}

void log(std::string_view message) {
  std::cerr << message << '\n';
  std::cerr.flush();
}

void emit(const json& result) {
  std::cout << result.dump() << '\n';
  std::cout.flush();
}

void write_file(const std::filesystem::path& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) {
    throw Error("creating " + path.string() + ": cannot open for writing");
  }
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  if (!out) {
    throw Error("writing " + path.string() + ": write failed");
  }
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error("reading " + path.string() + ": cannot open");
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string trim(std::string_view text) {
  const char* ws = " \t\r\n\v\f";
  auto b = text.find_first_not_of(ws);
  if (b == std::string_view::npos) {
    return {};
  }
  auto e = text.find_last_not_of(ws);
  return std::string(text.substr(b, e - b + 1));
}

std::string trim_trailing_newlines(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return std::string(text);
}

std::filesystem::path temp_dir() {
  const char* t = std::getenv("TMPDIR");
  return (t != nullptr && *t != '\0') ? std::filesystem::path(t) : std::filesystem::path("/tmp");
}

int run_main(int argc, char** argv, const Handler& handler) {
  std::vector<std::string> args(argv, argv + argc);
  std::string command = args.empty() ? "" : std::filesystem::path(args[0]).filename().string();
  args.erase(args.begin(), args.begin() + (args.empty() ? 0 : 1));
  if (command != "check" && command != "in" && command != "out" && !args.empty()) {
    command = args.front();
    args.erase(args.begin());
  }
  try {
    if (command != "check" && command != "in" && command != "out") {
      throw Error("usage: invoke as check, in <dir> or out <dir> (got '" + command + "')");
    }
    if (command != "check" && args.empty()) {
      throw Error("usage: " + command + " <path/to/" +
                  (command == "in" ? "destination" : "source") + ">");
    }
    Request req = read_request(std::cin);
    emit(handler(command, req, args));
    return 0;
  } catch (const std::exception& e) {
    log(std::string("error: ") + e.what());
    return 1;
  }
}

}  // namespace concourse::resource
