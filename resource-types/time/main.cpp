// The time resource: new versions on an interval and/or inside a daily window.
#include "time_lord.hpp"

using namespace concourse::resource;

int main(int argc, char** argv) {
  return run_main(
      argc, argv,
      [](const std::string& cmd, const Request& req, const std::vector<std::string>& args) -> json {
        std::int64_t now = timeres::now_ns();
        if (cmd == "check") {
          return timeres::run_check(req, now);
        }
        return cmd == "in" ? timeres::run_in(req, args[0], now) : timeres::run_out(req, now);
      });
}
