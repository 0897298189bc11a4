// Private to the parser: typed reads from a Node that record pointed errors instead of throwing,
// so one pass reports every problem in a pipeline. Null values read as "absent", as Go's JSON
// decoding treats them.
#pragma once

#include "config.hpp"
#include "errors.hpp"
#include "node.hpp"

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace concourse::atc::config::detail {

std::string child_path(const std::string& path, std::string_view key);
std::string index_path(const std::string& path, size_t index);

class Decoder {
 public:
  void error(const Node& at, const std::string& path, std::string message);
  void error(Mark at, const std::string& path, std::string message);
  const std::vector<ConfigError>& errors() const { return errors_; }

  // Requires a map whose keys are all in `allowed`; reports each unknown key.
  bool expect_fields(const Node& n, const std::string& path,
                     std::initializer_list<std::string_view> allowed);
  bool expect_map(const Node& n, const std::string& path);
  bool expect_sequence(const Node& n, const std::string& path);

  // Value readers: return false (and record an error) on a wrong type.
  bool read(const Node& v, const std::string& path, std::string& out);
  bool read(const Node& v, const std::string& path, bool& out);
  bool read(const Node& v, const std::string& path, int& out);
  bool read(const Node& v, const std::string& path, std::vector<std::string>& out);
  bool read(const Node& v, const std::string& path, StringMap& out);
  bool read(const Node& v, const std::string& path, Json& out);
  bool read_limits(const Node& v, const std::string& path, ContainerLimits& out);

  // Field readers: a missing or null field leaves `out` untouched and returns false.
  template <class T>
  bool field(const Node& map, std::string_view key, const std::string& path, T& out) {
    const Node* v = map.find(key);
    if (v == nullptr || v->is_null())
      return false;
    return read(*v, child_path(path, key), out);
  }
  template <class T>
  bool field(const Node& map, std::string_view key, const std::string& path,
             std::optional<T>& out) {
    const Node* v = map.find(key);
    if (v == nullptr || v->is_null())
      return false;
    T value{};
    if (!read(*v, child_path(path, key), value))
      return false;
    out = std::move(value);
    return true;
  }
  bool required(const Node& map, std::string_view key, const std::string& path, std::string& out);

 private:
  void type_error(const Node& v, const std::string& path, const char* expected);
  std::vector<ConfigError> errors_;
};

// Task configuration decoding, shared by pipelines (`task.config`) and task files.
void decode_task_config(Decoder& d, const Node& n, const std::string& path, TaskConfig& out);
// One plan entry; `path` names the step itself ("jobs[0].plan[2]").
void decode_step(Decoder& d, const Node& n, const std::string& path, Step& out);
void decode_plan(Decoder& d, const Node& n, const std::string& path, std::vector<Step>& out);

}  // namespace concourse::atc::config::detail
