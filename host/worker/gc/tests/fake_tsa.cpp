#include "worker/gc/tests/fake_tsa.hpp"

#include <sstream>

#include "core/error.hpp"

namespace concourse::worker::gc::testing {
namespace {

std::string first_word(const std::string& line) {
  return line.substr(0, line.find(' '));
}

}  // namespace

std::string FakeTsa::run(const std::string& command_line, const std::string& worker_json) {
  std::lock_guard lock(mu_);
  commands_.push_back(command_line);
  stdins_.push_back(worker_json);
  for (const auto& p : failing_) {
    if (command_line.rfind(p, 0) == 0)
      throw core::Error(CC_E_UNAVAILABLE, "tsa unreachable: " + command_line);
  }
  std::string cmd = first_word(command_line);
  if (cmd == "sweep-containers")
    return containers_;
  if (cmd == "sweep-volumes")
    return volumes_;
  if (cmd == "report-containers" || cmd == "report-volumes")
    return "";
  throw core::Error(CC_E_INTERNAL, "unknown command " + cmd);
}

void FakeTsa::set_destroying_containers(std::string json) {
  std::lock_guard lock(mu_);
  containers_ = std::move(json);
}

void FakeTsa::set_destroying_volumes(std::string json) {
  std::lock_guard lock(mu_);
  volumes_ = std::move(json);
}

void FakeTsa::fail_commands_starting_with(std::string prefix) {
  std::lock_guard lock(mu_);
  failing_.push_back(std::move(prefix));
}

std::vector<std::string> FakeTsa::commands() {
  std::lock_guard lock(mu_);
  return commands_;
}

std::vector<std::string> FakeTsa::stdins() {
  std::lock_guard lock(mu_);
  return stdins_;
}

std::set<std::string> FakeTsa::last_args(const std::string& command) {
  std::lock_guard lock(mu_);
  for (auto it = commands_.rbegin(); it != commands_.rend(); ++it) {
    if (first_word(*it) != command)
      continue;
    std::istringstream in(*it);
    std::string word;
    in >> word;
    std::set<std::string> args;
    while (in >> word)
      args.insert(word);
    return args;
  }
  return {};
}

size_t FakeTsa::count(const std::string& command) {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const auto& c : commands_)
    n += first_word(c) == command ? 1 : 0;
  return n;
}

}  // namespace concourse::worker::gc::testing
