#include "fly/args.hpp"

#include <sstream>

#include "core/flags.hpp"

namespace concourse::fly {
namespace {

// go-flags refuses to take something that looks like another option as a value, so a
// forgotten value is reported instead of silently swallowing the next flag.
bool looks_like_option(const std::string& arg) {
  return arg.size() > 1 && arg[0] == '-';
}

}  // namespace

Args::Args(std::string command) : command_(std::move(command)) {}

void Args::add_string(char short_name, const std::string& long_name, std::string* target,
                      std::string help) {
  auto& o = options_[long_name];
  o.short_name = short_name;
  o.help = std::move(help);
  o.string_target = target;
}

void Args::add_list(char short_name, const std::string& long_name, std::vector<std::string>* target,
                    std::string help) {
  auto& o = options_[long_name];
  o.short_name = short_name;
  o.help = std::move(help);
  o.list_target = target;
}

void Args::add_bool(char short_name, const std::string& long_name, bool* target, std::string help) {
  auto& o = options_[long_name];
  o.short_name = short_name;
  o.help = std::move(help);
  o.is_bool = true;
  o.bool_target = target;
}

void Args::require(const std::string& long_name) {
  options_.at(long_name).required = true;
}

bool Args::was_set(const std::string& long_name) const {
  auto it = options_.find(long_name);
  return it != options_.end() && it->second.set;
}

Args::Option& Args::find_short(char c) {
  for (auto& [name, opt] : options_) {
    if (opt.short_name == c)
      return opt;
  }
  if (c == 'h')
    throw HelpRequested(usage());
  throw core::UsageError(std::string("unknown flag `") + c + "'");
}

Args::Option& Args::find_long(const std::string& name) {
  auto it = options_.find(name);
  if (it != options_.end())
    return it->second;
  if (name == "help")
    throw HelpRequested(usage());
  throw core::UsageError("unknown flag `" + name + "'");
}

void Args::assign(Option& opt, const std::string& shown, const std::string* value) {
  if (opt.is_bool) {
    if (value != nullptr)
      throw core::UsageError("bool flag `" + shown + "' cannot have an argument");
    *opt.bool_target = true;
  } else {
    if (value == nullptr)
      throw core::UsageError("expected argument for flag `" + shown + "'");
    if (opt.list_target != nullptr)
      opt.list_target->push_back(*value);
    else
      *opt.string_target = *value;
  }
  opt.set = true;
}

// Handles args[i] = "-x...", returns the index of the last argument consumed.
size_t Args::parse_short(const std::vector<std::string>& args, size_t i) {
  const std::string& arg = args[i];
  for (size_t pos = 1; pos < arg.size(); ++pos) {
    Option& opt = find_short(arg[pos]);
    std::string shown = std::string("-") + arg[pos];
    if (opt.is_bool) {
      assign(opt, shown, nullptr);
      continue;
    }
    std::string rest = arg.substr(pos + 1);
    if (!rest.empty() && rest[0] == '=')
      rest.erase(0, 1);
    if (!rest.empty() || pos + 1 < arg.size()) {
      assign(opt, shown, &rest);
      return i;
    }
    if (i + 1 >= args.size() || looks_like_option(args[i + 1]))
      throw core::UsageError("expected argument for flag `" + shown + "'");
    assign(opt, shown, &args[i + 1]);
    return i + 1;
  }
  return i;
}

size_t Args::parse_long(const std::vector<std::string>& args, size_t i) {
  std::string name = args[i].substr(2);
  std::string shown = "--" + name;
  if (auto eq = name.find('='); eq != std::string::npos) {
    std::string value = name.substr(eq + 1);
    name.resize(eq);
    assign(find_long(name), "--" + name, &value);
    return i;
  }
  Option& opt = find_long(name);
  if (opt.is_bool) {
    assign(opt, shown, nullptr);
    return i;
  }
  if (i + 1 >= args.size() || looks_like_option(args[i + 1]))
    throw core::UsageError("expected argument for flag `" + shown + "'");
  assign(opt, shown, &args[i + 1]);
  return i + 1;
}

std::vector<std::string> Args::parse(const std::vector<std::string>& args,
                                     bool stop_at_positional) {
  std::vector<std::string> positional;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      positional.insert(positional.end(), args.begin() + static_cast<long>(i) + 1, args.end());
      break;
    }
    if (!looks_like_option(arg)) {
      if (stop_at_positional) {
        positional.insert(positional.end(), args.begin() + static_cast<long>(i), args.end());
        break;
      }
      positional.push_back(arg);
      continue;
    }
    i = arg[1] == '-' ? parse_long(args, i) : parse_short(args, i);
  }
  for (const auto& [name, opt] : options_) {
    if (opt.required && !opt.set) {
      std::string shown = opt.short_name ? std::string("-") + opt.short_name + ", --" : "--";
      throw core::UsageError("the required flag `" + shown + name + "' was not specified");
    }
  }
  return positional;
}

std::string Args::usage() const {
  std::ostringstream out;
  out << "Usage:\n  fly [OPTIONS] " << command_ << " [" << command_ << "-OPTIONS]\n\n"
      << "[" << command_ << " command options]\n";
  for (const auto& [name, opt] : options_) {
    std::string left = "      ";
    if (opt.short_name)
      left = std::string("  -") + opt.short_name + ", ";
    left += "--" + name + (opt.is_bool ? "" : "=");
    out << "  " << left;
    if (left.size() < 30)
      out << std::string(30 - left.size(), ' ');
    out << ' ' << opt.help << (opt.required ? " (required)" : "") << "\n";
  }
  return out.str();
}

}  // namespace concourse::fly
