// `fly`: all logic lives in concourse_fly; this only binds it to the process's streams.
#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

#include "fly/fly.hpp"

int main(int argc, char** argv) {
  concourse::fly::Context ctx(std::cout, std::cerr);
  ctx.out_is_tty = ::isatty(STDOUT_FILENO) == 1;
  std::vector<std::string> args(argv + 1, argv + argc);
  int rc = concourse::fly::run(args, ctx);
  std::cout.flush();
  return rc;
}
