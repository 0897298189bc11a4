#include "worker/garden/garden_error.hpp"

#include <nlohmann/json.hpp>

namespace concourse::worker::garden {

GardenError::GardenError(int http_status, std::string_view type, const std::string& message,
                         std::string handle, std::string process_id)
    : std::runtime_error(message),
      http_status_(http_status),
      type_(type),
      handle_(std::move(handle)),
      process_id_(std::move(process_id)) {}

std::string GardenError::body() const {
  nlohmann::ordered_json j;
  j["Type"] = type_;
  j["Message"] = what();
  j["Handle"] = handle_;
  j["ProcessID"] = process_id_;
  j["Binary"] = "";
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

GardenError container_not_found(std::string_view handle) {
  return GardenError(404, kContainerNotFound, "unknown handle: " + std::string(handle),
                     std::string(handle));
}

GardenError process_not_found(std::string_view process_id) {
  return GardenError(404, kProcessNotFound, "unknown process: " + std::string(process_id), {},
                     std::string(process_id));
}

GardenError bad_request(const std::string& message) {
  return GardenError(400, "", message);
}

GardenError unsupported(std::string_view op, std::string_view runtime) {
  return GardenError(500, "",
                     std::string(op) + " is not supported by runtime " + std::string(runtime));
}

GardenError internal_error(const std::string& message) {
  return GardenError(500, "", message);
}

}  // namespace concourse::worker::garden
