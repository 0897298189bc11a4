// Helpers shared by the fake runtime's two source files.
#pragma once

#include <concourse/runtime.h>
#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace concourse::worker::garden::testing::fake {

inline std::string str(cc_str s) {
  return s.ptr == nullptr ? std::string() : std::string(s.ptr, s.len);
}
inline cc_str cstr(const std::string& s) {
  return cc_str{s.data(), s.size()};
}

inline int32_t fail(cc_error* err, int32_t code, const std::string& message) {
  err->code = code;
  std::snprintf(err->message, sizeof err->message, "%s", message.c_str());
  return code;
}

// Garden's convention: the exit code, or 128+N when killed by signal N.
inline int32_t exit_code(int status) {
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace concourse::worker::garden::testing::fake
