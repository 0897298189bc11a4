// Command-line flags the way Concourse's go-flags parser sees them: `--name value`,
// `--name=value`, repeatable list flags, Go durations ("5s", "1h30m"), and an environment
// variable CONCOURSE_<NAME> (upper-cased, '-' -> '_') for every flag, lists split on ','.
// Unknown flags and missing values are usage errors, never ignored.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace concourse::core {

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parses a Go duration ("300ms", "5s", "1h30m", "0"); throws UsageError.
std::chrono::nanoseconds parse_duration(const std::string& text);
std::string format_duration(std::chrono::nanoseconds d);

class FlagSet {
 public:
  explicit FlagSet(std::string command);

  void add_string(const std::string& name, std::string* target, std::string help);
  void add_bool(const std::string& name, bool* target, std::string help);
  void add_int(const std::string& name, int64_t* target, std::string help);
  void add_duration(const std::string& name, std::chrono::nanoseconds* target, std::string help);
  void add_list(const std::string& name, std::vector<std::string>* target, std::string help);
  // Marks a flag as required: parse() fails when neither the flag nor its env var is set.
  void require(const std::string& name);

  // Applies env vars first, then argv[start..]; returns positional arguments. Throws UsageError.
  std::vector<std::string> parse(int argc, char** argv, int start = 0);
  bool was_set(const std::string& name) const;
  std::string usage() const;

  static std::string env_name(const std::string& flag);

 private:
  struct Flag {
    std::string help;
    bool is_bool = false;
    bool is_list = false;
    bool required = false;
    bool set = false;
    std::string default_text;
    std::function<void(const std::string&)> apply;
  };
  Flag& define(const std::string& name, std::string help);
  void apply(const std::string& name, Flag& flag, const std::string& value, bool from_env);

  std::string command_;
  std::map<std::string, Flag> flags_;
};

}  // namespace concourse::core
