// fly's option syntax is go-flags': `-t x`, `-tx`, `-t=x`, `--target x`, `--target=x`, combined
// short booleans (`-dk`), `--` ends options. Unlike core::FlagSet there are short names and no
// CONCOURSE_* environment variables, because fly has neither of those conventions reversed.
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace concourse::fly {

// -h/--help was given; what() is the usage text, printed to stdout with exit code 0.
class HelpRequested : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Args {
 public:
  explicit Args(std::string command);

  // short_name 0 means the option has only a long name.
  void add_string(char short_name, const std::string& long_name, std::string* target,
                  std::string help);
  // Repeatable (`-v a=1 -v b=2`): every value is appended in order.
  void add_list(char short_name, const std::string& long_name, std::vector<std::string>* target,
                std::string help);
  void add_bool(char short_name, const std::string& long_name, bool* target, std::string help);
  void require(const std::string& long_name);

  // Parses options anywhere in args; returns the positional arguments. With
  // stop_at_positional the first positional argument and everything after it are returned
  // untouched (the top level uses this to find the verb). Throws core::UsageError.
  std::vector<std::string> parse(const std::vector<std::string>& args,
                                 bool stop_at_positional = false);
  bool was_set(const std::string& long_name) const;
  std::string usage() const;

 private:
  struct Option {
    char short_name = 0;
    std::string help;
    bool is_bool = false;
    bool required = false;
    bool set = false;
    std::string* string_target = nullptr;
    bool* bool_target = nullptr;
    std::vector<std::string>* list_target = nullptr;
  };
  Option& find_short(char c);
  Option& find_long(const std::string& name);
  void assign(Option& opt, const std::string& shown, const std::string* value);
  size_t parse_short(const std::vector<std::string>& args, size_t i);
  size_t parse_long(const std::vector<std::string>& args, size_t i);

  std::string command_;
  std::map<std::string, Option> options_;
};

}  // namespace concourse::fly
