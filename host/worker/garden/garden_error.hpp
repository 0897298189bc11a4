// Errors as Garden's clients decode them: {"Type","Message","Handle","ProcessID","Binary"} with
// the HTTP status Garden uses (404 only for unknown containers and processes). Malformed input is
// our deliberate deviation: 400 instead of Garden's 500 (see docs/conventions.md).
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace concourse::worker::garden {

inline constexpr std::string_view kContainerNotFound = "ContainerNotFoundError";
inline constexpr std::string_view kProcessNotFound = "ProcessNotFoundError";
inline constexpr std::string_view kExecutableNotFound = "ExecutableNotFoundError";
inline constexpr std::string_view kServiceUnavailable = "ServiceUnavailableError";

class GardenError : public std::runtime_error {
 public:
  GardenError(int http_status, std::string_view type, const std::string& message,
              std::string handle = {}, std::string process_id = {});

  int http_status() const noexcept { return http_status_; }
  const std::string& type() const noexcept { return type_; }
  const std::string& handle() const noexcept { return handle_; }
  const std::string& process_id() const noexcept { return process_id_; }

  // The JSON body Garden writes, newline-terminated like Go's json.Encoder.
  std::string body() const;

 private:
  int http_status_;
  std::string type_;
  std::string handle_;
  std::string process_id_;
};

GardenError container_not_found(std::string_view handle);
GardenError process_not_found(std::string_view process_id);
GardenError bad_request(const std::string& message);
// "<op> is not supported by runtime <name>"
GardenError unsupported(std::string_view op, std::string_view runtime);
GardenError internal_error(const std::string& message);

}  // namespace concourse::worker::garden
