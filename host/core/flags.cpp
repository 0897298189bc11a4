#include "flags.hpp"

#include <cctype>
#include <cstdlib>
#include <sstream>

namespace concourse::core {
namespace {

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(s);
  while (std::getline(in, item, ',')) {
    if (!item.empty())
      out.push_back(item);
  }
  return out;
}

bool parse_bool(const std::string& v, const std::string& name) {
  if (v == "true" || v == "1" || v == "yes")
    return true;
  if (v == "false" || v == "0" || v == "no")
    return false;
  throw UsageError("invalid boolean '" + v + "' for --" + name);
}

}  // namespace

std::chrono::nanoseconds parse_duration(const std::string& text) {
  if (text == "0")
    return std::chrono::nanoseconds(0);
  if (text.empty())
    throw UsageError("empty duration");
  long double total = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.'))
      ++i;
    if (start == i)
      throw UsageError("invalid duration '" + text + "'");
    long double value = std::stold(text.substr(start, i - start));
    size_t ustart = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i])))
      ++i;
    std::string unit = text.substr(ustart, i - ustart);
    long double scale;
    if (unit == "ns")
      scale = 1;
    else if (unit == "us" || unit == "µs")
      scale = 1e3;
    else if (unit == "ms")
      scale = 1e6;
    else if (unit == "s")
      scale = 1e9;
    else if (unit == "m")
      scale = 60e9;
    else if (unit == "h")
      scale = 3600e9;
    else
      throw UsageError("invalid duration '" + text + "': unknown unit '" + unit + "'");
    total += value * scale;
  }
  return std::chrono::nanoseconds(static_cast<int64_t>(total));
}

std::string format_duration(std::chrono::nanoseconds d) {
  auto ns = d.count();
  if (ns == 0)
    return "0s";
  if (ns % 3600'000'000'000 == 0)
    return std::to_string(ns / 3600'000'000'000) + "h";
  if (ns % 60'000'000'000 == 0)
    return std::to_string(ns / 60'000'000'000) + "m";
  if (ns % 1'000'000'000 == 0)
    return std::to_string(ns / 1'000'000'000) + "s";
  if (ns % 1'000'000 == 0)
    return std::to_string(ns / 1'000'000) + "ms";
  return std::to_string(ns) + "ns";
}

FlagSet::FlagSet(std::string command) : command_(std::move(command)) {}

std::string FlagSet::env_name(const std::string& flag) {
  std::string out = "CONCOURSE_";
  for (char c : flag)
    out += c == '-' ? '_' : static_cast<char>(std::toupper(c));
  return out;
}

FlagSet::Flag& FlagSet::define(const std::string& name, std::string help) {
  auto& f = flags_[name];
  f.help = std::move(help);
  return f;
}

void FlagSet::add_string(const std::string& name, std::string* target, std::string help) {
  auto& f = define(name, std::move(help));
  f.default_text = *target;
  f.apply = [target](const std::string& v) { *target = v; };
}

void FlagSet::add_bool(const std::string& name, bool* target, std::string help) {
  auto& f = define(name, std::move(help));
  f.is_bool = true;
  f.apply = [target, name](const std::string& v) { *target = parse_bool(v, name); };
}

void FlagSet::add_int(const std::string& name, int64_t* target, std::string help) {
  auto& f = define(name, std::move(help));
  f.default_text = std::to_string(*target);
  f.apply = [target, name](const std::string& v) {
    try {
      size_t used = 0;
      *target = std::stoll(v, &used);
      if (used != v.size())
        throw std::invalid_argument(v);
    } catch (const std::exception&) {
      throw UsageError("invalid number '" + v + "' for --" + name);
    }
  };
}

void FlagSet::add_duration(const std::string& name, std::chrono::nanoseconds* target,
                           std::string help) {
  auto& f = define(name, std::move(help));
  f.default_text = format_duration(*target);
  f.apply = [target, name](const std::string& v) {
    try {
      *target = parse_duration(v);
    } catch (const UsageError& e) {
      throw UsageError(std::string(e.what()) + " for --" + name);
    }
  };
}

void FlagSet::add_list(const std::string& name, std::vector<std::string>* target,
                       std::string help) {
  auto& f = define(name, std::move(help));
  f.is_list = true;
  f.apply = [target](const std::string& v) { target->push_back(v); };
}

void FlagSet::require(const std::string& name) {
  flags_.at(name).required = true;
}

void FlagSet::apply(const std::string& name, Flag& flag, const std::string& value, bool from_env) {
  if (flag.is_list && from_env) {
    for (const auto& item : split_commas(value))
      flag.apply(item);
  } else {
    flag.apply(value);
  }
  flag.set = true;
  (void)name;
}

std::vector<std::string> FlagSet::parse(int argc, char** argv, int start) {
  for (auto& [name, flag] : flags_) {
    if (const char* env = std::getenv(env_name(name).c_str()); env != nullptr && *env != '\0') {
      apply(name, flag, env, true);
    }
  }
  std::vector<std::string> positional;
  // Flags given on the command line replace list values that came from the environment.
  std::map<std::string, bool> seen_on_cli;
  for (int i = start; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--") {
      for (++i; i < argc; ++i)
        positional.emplace_back(argv[i]);
      break;
    }
    if (arg.rfind("--", 0) != 0) {
      positional.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    std::string value;
    bool has_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    auto it = flags_.find(name);
    if (it == flags_.end())
      throw UsageError("unknown flag '--" + name + "'");
    Flag& flag = it->second;
    if (!has_value) {
      if (flag.is_bool) {
        value = "true";
      } else {
        if (i + 1 >= argc)
          throw UsageError("expected a value for --" + name);
        value = argv[++i];
      }
    }
    apply(name, flag, value, false);
    seen_on_cli[name] = true;
  }
  for (const auto& [name, flag] : flags_) {
    if (flag.required && !flag.set) {
      throw UsageError("the required flag '--" + name + "' (or " + env_name(name) +
                       ") was not specified");
    }
  }
  return positional;
}

bool FlagSet::was_set(const std::string& name) const {
  auto it = flags_.find(name);
  return it != flags_.end() && it->second.set;
}

std::string FlagSet::usage() const {
  std::ostringstream out;
  out << "Usage: concourse " << command_ << " [OPTIONS]\n\nOptions:\n";
  for (const auto& [name, flag] : flags_) {
    std::string left = "  --" + name + (flag.is_bool ? "" : "=VALUE");
    out << left;
    if (left.size() < 40)
      out << std::string(40 - left.size(), ' ');
    out << ' ' << flag.help;
    if (!flag.default_text.empty())
      out << " (default: " << flag.default_text << ")";
    if (flag.required)
      out << " (required)";
    out << " [$" << env_name(name) << "]\n";
  }
  return out.str();
}

}  // namespace concourse::core
