// GET /api/v1/builds/:id/preparation, Concourse's answer to "why is my build still pending":
// each condition that can hold a build back is "blocking" or "not_blocking".
#pragma once

#include <nlohmann/json.hpp>

#include "atc/db/builds.hpp"
#include "atc/db/database.hpp"

namespace concourse::atc::api {

nlohmann::json build_preparation(db::Database& db, const db::BuildRow& build);

}  // namespace concourse::atc::api
