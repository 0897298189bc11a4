// A TsaCommands test double: records every command line and the worker JSON it came with, and
// answers sweep-* with whatever the test says the ATC marked destroying.
#pragma once

#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "worker/tsa_commands.hpp"

namespace concourse::worker::gc::testing {

class FakeTsa : public TsaCommands {
 public:
  std::string run(const std::string& command_line, const std::string& worker_json) override;

  void set_destroying_containers(std::string json);
  void set_destroying_volumes(std::string json);
  void fail_commands_starting_with(std::string prefix);

  std::vector<std::string> commands();
  std::vector<std::string> stdins();
  // The handles of the last "<command> h1 h2 ..." seen; empty set if none was seen.
  std::set<std::string> last_args(const std::string& command);
  size_t count(const std::string& command);

 private:
  std::mutex mu_;
  std::string containers_ = "[]", volumes_ = "[]";
  std::vector<std::string> failing_;
  std::vector<std::string> commands_, stdins_;
};

}  // namespace concourse::worker::gc::testing
