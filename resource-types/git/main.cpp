// The git resource: commits of a branch as versions, clones for get, pushes for put.
#include "git.hpp"

using namespace concourse::resource;

int main(int argc, char** argv) {
  return run_main(
      argc, argv,
      [](const std::string& cmd, const Request& req, const std::vector<std::string>& args) -> json {
        if (cmd == "check") {
          return git::check(req);
        }
        return cmd == "in" ? git::in(req, args[0]) : git::out(req, args[0]);
      });
}
