// `atc.Worker` JSON (reference §2.1): the registration body and the GET /api/v1/workers item.
#pragma once

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include "atc/db/workers.hpp"

namespace concourse::atc::api {

// Field for field as Go's encoding/json writes atc.Worker: certs_path and the proxy fields are
// omitted when empty, arrays are always present.
nlohmann::json worker_to_json(const db::WorkerRow& w);

// Reads a worker body the way Go decodes it: unknown fields ignored, missing ones zero, empty
// tags dropped, "" certs_path treated as absent. Throws HttpError 400 on wrong types.
db::WorkerRow worker_from_json(const nlohmann::json& j);

// Concourse's register-time checks: 400 "missing garden address", version digits and dots only.
void validate_registration(const db::WorkerRow& w);

// ?ttl= as a Go duration, whole seconds; "" = 0 (no expiry). Throws HttpError 400.
std::chrono::seconds parse_ttl(const std::string& text);

}  // namespace concourse::atc::api
