// One error taxonomy for the whole host: the ABI's CC_E_* codes, so a plugin's status, a C++
// exception and an HTTP status line all talk about the same thing.
#pragma once

#include <concourse/status.h>

#include <stdexcept>
#include <string>

namespace concourse::core {

class Error : public std::runtime_error {
 public:
  Error(int32_t code, std::string message) : std::runtime_error(std::move(message)), code_(code) {}
  int32_t code() const noexcept { return code_; }

 private:
  int32_t code_;
};

// Human name of a status code ("not found", ...), for log lines and error bodies.
const char* status_name(int32_t code) noexcept;

// HTTP status that best matches a code (404 for CC_E_NOT_FOUND, ...).
int http_status_for(int32_t code) noexcept;

}  // namespace concourse::core
